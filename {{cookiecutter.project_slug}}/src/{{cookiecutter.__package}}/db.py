"""The database: Flask-SQLAlchemy models, Flask-Migrate migrations, a readiness check."""

from pathlib import Path

from flask_migrate import Migrate
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
# render_as_batch: SQLite alters tables by copying them; other databases are unaffected.
migrate = Migrate(directory=str(MIGRATIONS), render_as_batch=True)


def database_is_reachable():
    db.session.execute(text("SELECT 1"))
    return True


def init_db(app):
    """Connect the app to SQLALCHEMY_DATABASE_URI; `flask db upgrade` creates the schema."""
    db.init_app(app)
    migrate.init_app(app, db)
    add_readiness_check(app, "database", database_is_reachable)
