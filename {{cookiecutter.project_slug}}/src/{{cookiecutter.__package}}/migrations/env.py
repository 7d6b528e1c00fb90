"""Alembic runs this for every `flask db` command: the app's engine, the models' metadata."""

import logging

from alembic import context
from flask import current_app

# Show alembic's progress on the command line; a no-op where logging is already set up.
logging.basicConfig(format="%(levelname)-5.5s [%(name)s] %(message)s")
logging.getLogger("alembic").setLevel(logging.INFO)

migrate = current_app.extensions["migrate"]


def run_migrations_offline():
    """`flask db upgrade --sql`: print the SQL instead of running it."""
    url = migrate.db.engine.url.render_as_string(hide_password=False)
    context.configure(url=url, target_metadata=migrate.db.metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online():
    with migrate.db.engine.connect() as connection:
        context.configure(connection=connection, target_metadata=migrate.db.metadata,
                          **migrate.configure_args)
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
