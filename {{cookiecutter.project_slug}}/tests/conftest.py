import os
{%- if cookiecutter.database == 'sqlalchemy' %}
import shutil
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


@pytest.fixture(scope="session")
def migrated_database(tmp_path_factory):
    """TEST_DATABASE_URL, or else an SQLite file, migrated once with `flask db upgrade`."""
    url = os.environ.get("TEST_DATABASE_URL")
    template = None
    if not url:
        template = tmp_path_factory.mktemp("database") / "migrated.sqlite"
        url = f"sqlite:///{template}"
    upgrade(url)
    return url, template


def upgrade(url):
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url})
    result = app.test_cli_runner().invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output + repr(result.exception)
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(autouse=True)
def database_url(clean_environment, migrated_database, monkeypatch, tmp_path_factory):
    """Every app in the tests uses a migrated database: a copy of the SQLite file made for
    this test, or TEST_DATABASE_URL, whose rows the ``tables`` fixture deletes afterwards."""
    url, template = migrated_database
    if template is not None:
        copy = tmp_path_factory.mktemp("database") / "test.sqlite"
        shutil.copyfile(template, copy)
        url = f"sqlite:///{copy}"
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
    """The migrated tables, emptied after the test."""
    with app.app_context():
        yield
        db.session.remove()
        with db.engine.begin() as connection:
            for table in reversed(db.metadata.sorted_tables):
                connection.execute(table.delete())
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
