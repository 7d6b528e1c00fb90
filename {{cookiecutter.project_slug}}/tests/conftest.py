import logging
import os
import runpy
{%- if cookiecutter.database == 'sqlalchemy' %}
import shutil
{%- endif %}
import tempfile
{%- if cookiecutter.database == 'sqlalchemy' %}
import weakref
{%- endif %}
from pathlib import Path

import pytest
{%- if cookiecutter.use_openapi %}
from contract import SEEN, ContractClient, untried
{%- endif %}
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
{%- if cookiecutter.use_openapi %}
    app.test_client_class = ContractClient  # checks every response against openapi.yaml
{%- endif %}
    return app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


GUNICORN_CONF = Path(__file__).resolve().parent.parent / "gunicorn.conf.py"
GUNICORN_VARIABLES = ("HOST", "PORT", "WEB_CONCURRENCY", "GUNICORN_TIMEOUT",
                      "GUNICORN_GRACEFUL_TIMEOUT")


@pytest.fixture
def load_conf(monkeypatch, tmp_path):
    """Read gunicorn.conf.py as gunicorn does, with a private copy of the environment."""

    def load(**env):
        environ = {k: v for k, v in os.environ.items() if k not in GUNICORN_VARIABLES}
        monkeypatch.setattr(os, "environ", {**environ, **env})
        monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # what the settings create
        return runpy.run_path(str(GUNICORN_CONF))

    return load


@pytest.fixture
def restore_logging():
    loggers = [logging.getLogger(name) for name in ("", "gunicorn.error", "gunicorn.access")]
    saved = [(logger, logger.handlers[:], logger.level, logger.propagate) for logger in loggers]
    yield
    for logger, handlers, level, propagate in saved:
        logger.handlers[:] = handlers
        logger.setLevel(level)
        logger.propagate = propagate
{%- if cookiecutter.use_openapi %}


DESELECTED = []


def pytest_deselected(items):
    DESELECTED.extend(items)


def pytest_sessionfinish(session):
    """A run of the whole suite fails when no test tried a status that openapi.yaml documents."""
    whole_suite = (session.config.args_source is pytest.Config.ArgsSource.TESTPATHS
                   and not DESELECTED)
    if session.exitstatus != pytest.ExitCode.OK or not whole_suite:
        return
    missing = untried(ContractClient.contract.document, SEEN)
    if missing:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        reporter.write("\n")
        reporter.write_line("openapi.yaml documents what no test tried; add a test for each:",
                            red=True)
        for line in missing:
            reporter.write_line(f"  {line}")
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
{%- endif %}
