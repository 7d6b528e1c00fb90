import subprocess
import sys

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import MetaData, inspect

from {{ cookiecutter.__package }}.db import db


def drop_everything():
    tables = MetaData()
    tables.reflect(bind=db.engine)
    tables.drop_all(bind=db.engine)


@pytest.fixture
def empty_database(app, runner):
    """No table at all for the test; migrated again afterwards, as the other tests expect."""
    with app.app_context():
        drop_everything()
        yield
        db.session.remove()
        drop_everything()
    flask_db(runner, "upgrade")


def flask_db(runner, *args):
    result = runner.invoke(args=["db", *args])
    assert result.exit_code == 0, result.output + repr(result.exception)
    return result


@pytest.mark.usefixtures("empty_database")
def test_upgrade_on_an_empty_database_matches_the_models(runner):
    flask_db(runner, "upgrade")
    assert "items" in inspect(db.engine).get_table_names()
    with db.engine.connect() as connection:
        drift = compare_metadata(MigrationContext.configure(connection), db.metadata)
    assert drift == [], (
        f"the models and the migrations differ: {drift}. "
        'Run `flask db migrate -m "what changed"` and commit the new migration.')


@pytest.mark.usefixtures("empty_database")
def test_downgrade_to_base_removes_every_table(runner):
    flask_db(runner, "upgrade")
    flask_db(runner, "downgrade", "base")
    assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}


@pytest.mark.usefixtures("empty_database")
def test_upgrade_can_print_its_sql_without_a_database(runner):
    assert "CREATE TABLE items" in flask_db(runner, "upgrade", "--sql").output
    assert "items" not in inspect(db.engine).get_table_names()


def test_flask_db_help_lists_the_migration_commands(runner):
    result = runner.invoke(args=["db", "--help"])
    assert result.exit_code == 0, result.output
    assert "upgrade" in result.output and "downgrade" in result.output


def test_serving_does_not_import_alembic():
    # Only `flask db` needs Alembic; a fresh process shows what create_app() imports.
    code = ("import sys\n"
            "from {{ cookiecutter.__package }} import create_app\n"
            "create_app({'TESTING': True})\n"
            "print([name for name in sys.modules if name.split('.')[0] in "
            "('alembic', 'flask_migrate')])")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)
    assert result.stdout.strip() == "[]"
