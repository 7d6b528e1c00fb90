import os

import pytest

from {{ cookiecutter.__package }} import create_app
from {{ cookiecutter.__package }}.config import SETTINGS_VARIABLE


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch):
    """Keep the developer's own FLASK_* and settings variables out of the tests."""
    for name in list(os.environ):
        if name.startswith("FLASK_") or name == SETTINGS_VARIABLE:
            monkeypatch.delenv(name)


@pytest.fixture
def app():
    return create_app({"TESTING": True})


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()
