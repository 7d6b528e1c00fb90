import os

from flask import Flask

from {{ cookiecutter.__package }} import create_app
from {{ cookiecutter.__package }}.db import db


def test_database_url_comes_from_config(app, database_url):
    assert app.config["SQLALCHEMY_DATABASE_URI"] == database_url


def test_pooled_connections_are_checked_before_use(app):
    with app.app_context():
        assert db.engine.pool._pre_ping


def test_default_is_a_sqlite_file_in_the_instance_folder(monkeypatch, tmp_path):
    instance = tmp_path / "instance"
    monkeypatch.setattr(Flask, "auto_find_instance_path", lambda self: str(instance))
    monkeypatch.delenv("FLASK_SQLALCHEMY_DATABASE_URI")
    app = create_app({"TESTING": True})
    with app.app_context():
        assert db.engine.url.database == str(instance / "{{ cookiecutter.__package }}.sqlite")
    assert instance.is_dir()


def test_instance_folder_is_created_only_when_needed(monkeypatch, tmp_path):
    instance = tmp_path / "instance"
    monkeypatch.setattr(Flask, "auto_find_instance_path", lambda self: str(instance))
    create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'db'}"})
    assert not instance.exists()


def test_readiness_checks_the_database(client):
    response = client.get("/readyz")
    assert response.status_code == 200


def test_unreachable_database_makes_the_service_not_ready(tmp_path):
    missing = tmp_path / "no" / "such" / "folder" / "db.sqlite"
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{missing}"})
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.json["check"] == "database"
    assert not os.path.exists(missing)
