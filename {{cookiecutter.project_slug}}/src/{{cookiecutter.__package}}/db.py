"""The database: Flask-SQLAlchemy models, Flask-Migrate migrations, a readiness check."""

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import MetaData, text

from .readiness import add_readiness_check

MIGRATIONS = Path(__file__).resolve().parent / "migrations"

# Named constraints, so that migrations can drop and alter them on every backend.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

db = SQLAlchemy(metadata=MetaData(naming_convention=NAMING_CONVENTION))


def database_is_reachable():
    db.session.execute(text("SELECT 1"))
    return True


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
    db.init_app(app)
    app.cli.add_command(migrations_command)
    add_readiness_check(app, "database", database_is_reachable)
