import shutil

import pytest
from sqlalchemy import text

import {{ cookiecutter.__package }}.app as app_module
from {{ cookiecutter.__package }} import create_app
from {{ cookiecutter.__package }}.config import REQUIRED_IN_PRODUCTION, ConfigError
from {{ cookiecutter.__package }}.db import db, shipped_revisions


def test_database_url_comes_from_config(app, database_url):
    assert app.config["SQLALCHEMY_DATABASE_URI"] == database_url


def test_pooled_connections_are_checked_before_use(app):
    with app.app_context():
        assert db.engine.pool._pre_ping


def test_default_is_a_sqlite_file_in_the_instance_folder(monkeypatch, tmp_path):
    instance = tmp_path / "instance"
    monkeypatch.setattr(app_module, "project_instance_folder", lambda package: str(instance))
    monkeypatch.delenv("FLASK_SQLALCHEMY_DATABASE_URI")
    app = create_app({"TESTING": True})
    with app.app_context():
        assert db.engine.url.database == str(instance / "{{ cookiecutter.__package }}.sqlite")
    assert instance.is_dir()


def test_instance_folder_is_created_only_when_needed(monkeypatch, tmp_path):
    instance = tmp_path / "instance"
    monkeypatch.setattr(app_module, "project_instance_folder", lambda package: str(instance))
    create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'db'}"})
    assert not instance.exists()


def test_production_needs_a_database_url(monkeypatch):
    for name in REQUIRED_IN_PRODUCTION:
        monkeypatch.setenv(f"FLASK_{name}", "not-empty")
    monkeypatch.delenv("FLASK_SQLALCHEMY_DATABASE_URI")
    with pytest.raises(ConfigError, match="SQLALCHEMY_DATABASE_URI is required in production"):
        create_app()


def test_a_database_folder_that_cannot_be_written_is_a_one_line_error(tmp_path):
    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("")
    with pytest.raises(ConfigError, match=f"the folder {not_a_folder} cannot be written") as error:
        create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{not_a_folder}/db"})
    assert "\n" not in str(error.value)


def test_a_database_folder_without_write_permission_is_a_one_line_error(monkeypatch, tmp_path):
    monkeypatch.setattr("{{ cookiecutter.__package }}.db.os.access", lambda path, mode: False)
    with pytest.raises(ConfigError, match=r"cannot be written \(Permission denied\)"):
        create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/db"})


def test_an_sqlite_file_is_written_ahead_of_its_log(app):
    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            pytest.skip("TEST_DATABASE_URL is not an SQLite file")
        assert db.session.execute(text("PRAGMA journal_mode")).scalar() == "wal"


def test_an_in_memory_database_needs_no_folder():
    assert create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://"})


def test_a_database_url_that_does_not_parse_is_a_one_line_error():
    with pytest.raises(ConfigError, match="SQLALCHEMY_DATABASE_URI is not a database URL"):
        create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "not a url"})


def test_migrated_database_is_ready(client):
    response = client.get("/readyz")
    assert response.status_code == 200


def assert_not_ready(client):
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json["check"] == "database"


def test_database_schema_behind_the_migrations_is_not_ready(app, client):
    with app.app_context():
        with db.engine.begin() as connection:
            connection.execute(text("DELETE FROM alembic_version"))
        assert_not_ready(client)
        with db.engine.begin() as connection:
            connection.execute(text("DROP TABLE alembic_version"))
        assert_not_ready(client)
        stamped = app.test_cli_runner().invoke(args=["db", "stamp", "head"])
        assert stamped.exit_code == 0, stamped.output
    assert client.get("/readyz").status_code == 200


def test_database_schema_ahead_of_the_migrations_stays_ready(app, client):
    """A newer release migrated the database during a rolling update: older pods keep serving."""
    with app.app_context():
        with db.engine.begin() as connection:
            connection.execute(text("UPDATE alembic_version SET version_num = 'newer-release'"))
        assert client.get("/readyz").status_code == 200
        _, heads = shipped_revisions()
        with db.engine.begin() as connection:
            connection.execute(text("UPDATE alembic_version SET version_num = :head"),
                               {"head": min(heads)})


def test_unreachable_database_makes_the_service_not_ready(tmp_path):
    folder = tmp_path / "gone"
    folder.mkdir()
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/db"})
    shutil.rmtree(folder)  # SQLite cannot open a file in a folder that no longer exists
    assert_not_ready(app.test_client())
    assert not folder.exists()


def test_a_request_that_meets_an_unavailable_database_is_a_503_problem(tmp_path):
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/empty"})
    response = app.test_client().get("/items")  # no table: the database was never migrated
    assert response.status_code == 503
    assert response.mimetype == "application/problem+json"
    assert "database" in response.json["detail"]
