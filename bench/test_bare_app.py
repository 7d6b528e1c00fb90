"""The baseline's tests, for the minimal time to green (fresh venv, Flask and pytest, pytest)."""

from bare_app import create_app


def test_healthz():
    assert create_app().test_client().get("/healthz").json == {"status": "ok"}


def test_index():
    assert create_app().test_client().get("/").json["version"] == "0.1.0"
