import json

import pytest

PROBLEM_FIELDS = {"type", "title", "status", "detail", "request_id"}


@pytest.fixture
def app(app):
    @app.post("/test/echo")
    def echo():
        from flask import request

        return request.get_json()

    @app.get("/test/crash")
    def crash():
        raise RuntimeError("secret internals")

    @app.get("/test/slash/")
    def slash():
        return {}

    return app


def assert_problem(response, status):
    assert response.status_code == status
    assert response.mimetype == "application/problem+json"
    body = response.json
    assert PROBLEM_FIELDS <= set(body)
    assert body["status"] == status
    assert response.status == f"{status} {body['title']}"  # not Werkzeug's upper-case phrase
    assert body["type"] == "about:blank"
    assert body["request_id"] == response.headers["X-Request-ID"]
    return body


def test_invalid_json_is_400(client):
    response = client.post("/test/echo", data="{not json", content_type="application/json")
    assert assert_problem(response, 400)["title"] == "Bad Request"


def test_valid_json_passes(client):
    assert client.post("/test/echo", json={"a": 1}).json == {"a": 1}


def test_wrong_content_type_is_415(client):
    response = client.post("/test/echo", data="a=1", content_type="text/plain")
    assert_problem(response, 415)


def test_unknown_path_is_404(client):
    assert assert_problem(client.get("/no/such/thing"), 404)["title"] == "Not Found"


def test_wrong_method_is_405_with_allow_header(client):
    response = client.delete("/")
    assert_problem(response, 405)
    assert "GET" in response.headers["Allow"]


def test_body_over_the_limit_is_413(app, client):
    app.config["MAX_CONTENT_LENGTH"] = 10
    response = client.post("/test/echo", data=json.dumps({"a": "x" * 100}),
                           content_type="application/json")
    assert_problem(response, 413)


def test_unhandled_exception_is_500_without_details(client, caplog):
    app_logger = client.application.logger
    app_logger.addHandler(caplog.handler)
    try:
        response = client.get("/test/crash")
    finally:
        app_logger.removeHandler(caplog.handler)
    body = assert_problem(response, 500)
    assert "secret internals" not in response.get_data(as_text=True)
    assert "Traceback" not in response.get_data(as_text=True)
    assert body["title"] == "Internal Server Error"
    [record] = [r for r in caplog.records if r.exc_info]
    assert "secret internals" in str(record.exc_info[1])


def test_redirects_from_routing_stay_redirects(client):
    response = client.get("/test/slash")
    assert response.status_code == 308
    assert response.headers["Location"].endswith("/test/slash/")
