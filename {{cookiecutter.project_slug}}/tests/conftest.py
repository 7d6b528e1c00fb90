import os
{%- if cookiecutter.database == 'sqlalchemy' %}
import weakref
{%- endif %}

import pytest
{%- if cookiecutter.auth == "jwt" %}
from jwt_tokens import TEST_KEY, trusting
{%- endif %}

from {{ cookiecutter.__package }} import create_app
from {{ cookiecutter.__package }}.config import SETTINGS_VARIABLE
{%- if cookiecutter.database == 'sqlalchemy' %}
from {{ cookiecutter.__package }}.db import db
from sqlalchemy import Engine, event
{%- endif %}


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch):
    """Keep the developer's own FLASK_* and settings variables out of the tests."""
    for name in list(os.environ):
        if name.startswith("FLASK_") or name == SETTINGS_VARIABLE:
            monkeypatch.delenv(name)
{%- if cookiecutter.database == 'sqlalchemy' %}


@pytest.fixture(autouse=True)
def database_url(clean_environment, monkeypatch, tmp_path):
    """Every app in the tests uses TEST_DATABASE_URL, or else a new SQLite file."""
    url = os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{tmp_path / 'test.sqlite'}"
    monkeypatch.setenv("FLASK_SQLALCHEMY_DATABASE_URI", url)
    return url


@pytest.fixture(autouse=True)
def dispose_engines():
    """Close the pooled connections of every app a test made now, not when garbage collected."""
    engines = weakref.WeakSet()

    def remember(connection):
        engines.add(connection.engine)

    event.listen(Engine, "engine_connect", remember)
    yield
    event.remove(Engine, "engine_connect", remember)
    for engine in list(engines):
        engine.dispose()


@pytest.fixture
def tables(app):
    """The models' tables, created for one test and dropped after it."""
    with app.app_context():
        db.create_all()
        yield
        db.session.remove()
        db.drop_all()
{%- endif %}


@pytest.fixture
def app():
{%- if cookiecutter.auth == "jwt" %}
    app = create_app({"TESTING": True, **trusting(TEST_KEY)})  # accepts jwt_tokens.bearer()
{%- else %}
    app = create_app({"TESTING": True})
{%- endif %}
    return app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()
