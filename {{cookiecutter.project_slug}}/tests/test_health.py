from {{ cookiecutter.__package }}.readiness import add_readiness_check


def test_liveness_answers_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok"}


def test_readiness_with_no_checks_is_ready(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json == {"status": "ready"}


def test_readiness_passes_when_every_check_passes(app, client):
    add_readiness_check(app, "cache", lambda: True)
    add_readiness_check(app, "queue", lambda: True)
    assert client.get("/readyz").status_code == 200


def test_readiness_names_the_check_that_returned_false(app, client):
    add_readiness_check(app, "cache", lambda: True)
    add_readiness_check(app, "database", lambda: False)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.mimetype == "application/problem+json"
    assert response.json["check"] == "database"
    assert "database" in response.json["detail"]


def test_readiness_names_the_check_that_raised(app, client):
    def broken():
        raise ConnectionError("refused")

    add_readiness_check(app, "upstream", broken)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json["check"] == "upstream"
    assert "refused" not in response.get_data(as_text=True)
