import json

import pytest

from {{ cookiecutter.__package }} import create_app


def test_valid_incoming_id_is_kept_and_echoed(client):
    response = client.get("/healthz", headers={"X-Request-ID": "abc-123.def_456:7"})
    assert response.headers["X-Request-ID"] == "abc-123.def_456:7"


@pytest.mark.parametrize("bad", ["", "-starts-with-dash", "has space", "x" * 129, "semi;colon",
                                 "caf\u00e9"])
def test_invalid_incoming_id_is_replaced(client, bad):
    response = client.get("/healthz", headers={"X-Request-ID": bad.encode().decode("latin-1")})
    new_id = response.headers["X-Request-ID"]
    assert new_id != bad
    assert len(new_id) == 32 and int(new_id, 16) >= 0


def test_missing_id_gets_a_fresh_one_per_request(client):
    first = client.get("/healthz").headers["X-Request-ID"]
    second = client.get("/healthz").headers["X-Request-ID"]
    assert first != second


def test_request_id_is_on_every_log_record(capsys):
    app = create_app({"TESTING": True})

    @app.get("/test/log")
    def log_something():
        app.logger.info("inside the request")
        return {}

    app.test_client().get("/test/log", headers={"X-Request-ID": "trace-42"})
    app.logger.info("outside any request")
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    inside = next(line for line in lines if line["message"] == "inside the request")
    outside = next(line for line in lines if line["message"] == "outside any request")
    assert inside["request_id"] == "trace-42"
    assert outside["request_id"] is None
