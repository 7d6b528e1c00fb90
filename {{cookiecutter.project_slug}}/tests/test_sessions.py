"""Cookie sessions: opened only when a request carries one, saved only when used."""

import pytest
from flask import session


@pytest.fixture
def visits_app(app):
    app.config["SECRET_KEY"] = "test-only-not-a-secret"

    @app.get("/visits")
    def visits():
        session["visits"] = session.get("visits", 0) + 1
        return {"visits": session["visits"]}

    return app


def test_a_request_that_uses_no_session_sets_no_cookie(visits_app):
    response = visits_app.test_client().get("/healthz")
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers
    assert "Cookie" not in response.vary


@pytest.mark.parametrize("cookie", ["theme=dark", "last_session=1; sessionid=2"])
def test_other_cookies_open_no_session(visits_app, cookie):
    response = visits_app.test_client().get("/healthz", headers={"Cookie": cookie})
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers


def test_a_session_is_signed_sent_and_read_back(visits_app):
    client = visits_app.test_client()
    first = client.get("/visits")
    assert first.json == {"visits": 1}
    assert "Cookie" in first.vary
    assert client.get_cookie("session") is not None
    assert client.get("/visits").json == {"visits": 2}


def test_a_forged_session_cookie_starts_a_new_session(visits_app):
    client = visits_app.test_client()
    client.set_cookie("session", "forged")
    assert client.get("/visits").json == {"visits": 1}


def test_an_emptied_session_deletes_its_cookie(visits_app):
    @visits_app.get("/logout")
    def logout():
        session.clear()
        return {"status": "ok"}

    client = visits_app.test_client()
    client.get("/visits")
    client.get("/logout")
    assert client.get_cookie("session") is None


def test_without_a_secret_key_a_session_cannot_be_written(app):
    @app.get("/write")
    def write():
        session["key"] = "value"
        return {}

    assert app.test_client().get("/write").status_code == 500
