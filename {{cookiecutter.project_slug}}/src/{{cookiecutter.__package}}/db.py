"""The database: Flask-SQLAlchemy models, Flask-Migrate migrations, a readiness check."""

import functools
import os
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import MetaData, event, make_url, text
from sqlalchemy.exc import ArgumentError, InterfaceError, OperationalError, ProgrammingError

from .config import SETTINGS_VARIABLE, ConfigError
from .errors import problem
from .readiness import add_readiness_check

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
# Debug and the tests only: production names its database (config.REQUIRED_IN_PRODUCTION).
DEVELOPMENT_DATABASE = "sqlite:///{{ cookiecutter.__package }}.sqlite"
# What a database that is down, unreachable or not migrated yet raises in a request.
UNAVAILABLE = (OperationalError, InterfaceError, ProgrammingError)

# Named constraints, so that migrations can drop and alter them on every backend.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

db = SQLAlchemy(metadata=MetaData(naming_convention=NAMING_CONVENTION))


class SchemaBehind(Exception):
    """The database has not been migrated to the revision this service ships."""


@functools.cache
def shipped_revisions():
    """(every revision in migrations/, the heads among them); read once per process."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory(str(MIGRATIONS))
    return {revision.revision for revision in script.walk_revisions()}, set(script.get_heads())


def database_is_ready():
    """Reachable, and migrated at least as far as this service's migrations go.

    A revision this service does not know was applied by a newer release (during a rolling
    update, for example): the schema is ahead, not behind, and the service stays ready.
    """
    with db.engine.connect() as connection:
        applied = set()
        if connection.dialect.has_table(connection, "alembic_version"):
            applied = set(connection.scalars(text("SELECT version_num FROM alembic_version")))
    known, heads = shipped_revisions()
    if applied - known or heads <= applied:
        return True
    raise SchemaBehind(f"database at revision {', '.join(sorted(applied)) or 'none'}, "
                       f"the service needs {', '.join(sorted(heads))}: run `flask db upgrade`")


def handle_unavailable_database(error):
    current_app.logger.error("database unavailable: %s", error.__class__.__name__,
                             exc_info=error)
    return problem(503, "Service Unavailable",
                   "the database is unavailable or its schema is not up to date")


def check_database_location(app):
    """A bad URL or an SQLite file the service cannot write stops startup with one line; True
    for an SQLite file."""
    uri = app.config.get("SQLALCHEMY_DATABASE_URI") or DEVELOPMENT_DATABASE
    app.config["SQLALCHEMY_DATABASE_URI"] = uri
    try:
        url = make_url(uri)
    except ArgumentError:
        raise ConfigError(f"SQLALCHEMY_DATABASE_URI is not a database URL: {uri!r}") from None
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:") \
            or url.database.startswith("file:"):
        return False
    # Flask-SQLAlchemy puts a relative path in the instance folder and creates that folder.
    folder = Path(app.instance_path, url.database).parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
        if not os.access(folder, os.W_OK):
            raise PermissionError(13, "Permission denied")
    except OSError as error:
        raise ConfigError(
            f"SQLALCHEMY_DATABASE_URI={uri}: the folder {folder} cannot be written "
            f"({error.strerror}): set FLASK_SQLALCHEMY_DATABASE_URI, or SQLALCHEMY_DATABASE_URI "
            f"in the file named by {SETTINGS_VARIABLE}, to a database the service can write"
        ) from None
    return True


def use_write_ahead_log(dbapi_connection, connection_record):
    """Readers of an SQLite file do not wait for its writer, nor the writer for them: with the
    threads of every gunicorn worker at it, the default journal runs into "database is locked"."""
    dbapi_connection.execute("PRAGMA journal_mode=WAL")


# Flask-Migrate imports Alembic, which only `flask db` needs: importing it in every process
# that serves requests would cost a third of the startup time and several MiB per worker.
@click.command("db", add_help_option=False, context_settings={"ignore_unknown_options": True})
@click.argument("arguments", nargs=-1, type=click.UNPROCESSED)
@with_appcontext
@click.pass_context
def migrations_command(context, arguments):
    """Perform database migrations."""
    from flask_migrate import Migrate
    from flask_migrate.cli import db as migrations

    # render_as_batch: SQLite alters tables by copying them; other databases are unaffected.
    Migrate(current_app, db, directory=str(MIGRATIONS), render_as_batch=True)
    # In this command's place, so that usage and errors read `flask db ...`.
    with migrations.make_context(context.info_name, list(arguments), parent=context.parent) as sub:
        migrations.invoke(sub)


def init_db(app):
    """Connect the app to SQLALCHEMY_DATABASE_URI; `flask db upgrade` creates the schema."""
    sqlite_file = check_database_location(app)
    db.init_app(app)
    if sqlite_file:
        with app.app_context():
            event.listen(db.engine, "connect", use_write_ahead_log)
    app.cli.add_command(migrations_command)
    for error in UNAVAILABLE:
        app.register_error_handler(error, handle_unavailable_database)
    add_readiness_check(app, "database", database_is_ready)
