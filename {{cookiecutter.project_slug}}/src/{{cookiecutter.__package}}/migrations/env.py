"""Alembic runs this for every `flask db` command: the app's engine, the models' metadata."""

import logging

from alembic import context
from alembic.script import ScriptDirectory
from flask import current_app
from sqlalchemy import text

# Show alembic's progress on the command line; a no-op where logging is already set up.
logging.basicConfig(format="%(levelname)-5.5s [%(name)s] %(message)s")
logging.getLogger("alembic").setLevel(logging.INFO)

migrate = current_app.extensions["migrate"]
# Pods that start together (a rollout, a scale-out) each run `flask db upgrade` before serving:
# on PostgreSQL an advisory lock makes them take turns, and the later ones find nothing to do.
MIGRATION_LOCK = 0x6D696772  # any number, the same in every release


def number_the_revision(context, revision, directives):
    """`flask db migrate` and `flask db revision` name the new revision after the next number
    (0002_add_price_to_items.py), not a random hash; autogenerate with no change writes nothing."""
    [script] = directives
    if getattr(context.config.cmd_opts, "autogenerate", False) and script.upgrade_ops.is_empty():
        directives[:] = []
        logging.getLogger("alembic").info("No changes in schema detected: no revision written")
        return
    heads = ScriptDirectory.from_config(context.config).get_heads()
    script.rev_id = f"{max((int(head) for head in heads if head.isdigit()), default=0) + 1:04d}"


def run_migrations_offline():
    """`flask db upgrade --sql`: print the SQL instead of running it."""
    url = migrate.db.engine.url.render_as_string(hide_password=False)
    context.configure(url=url, target_metadata=migrate.db.metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online():
    with migrate.db.engine.connect() as connection:
        context.configure(connection=connection, target_metadata=migrate.db.metadata,
                          process_revision_directives=number_the_revision,
                          **migrate.configure_args)
        with context.begin_transaction():
            if connection.dialect.name == "postgresql":  # held until the transaction ends
                connection.execute(text("SELECT pg_advisory_xact_lock(:key)"),
                                   {"key": MIGRATION_LOCK})
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
