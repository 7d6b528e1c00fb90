import logging
import threading

import pytest

from {{ cookiecutter.__package }}.readiness import RUNNING_KEY, add_readiness_check


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
    add_readiness_check(app, "search", lambda: False)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.mimetype == "application/problem+json"
    assert response.json["check"] == "search"
    assert response.json["detail"] == "not ready: search"


def test_readiness_names_the_check_that_raised(app, client):
    def broken():
        raise ConnectionError("refused")

    add_readiness_check(app, "upstream", broken)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json["check"] == "upstream"
    assert "refused" not in response.get_data(as_text=True)


def test_readiness_logs_one_line_without_a_traceback(app, client, caplog):
    def broken():
        raise ConnectionError("refused\nby the peer")

    add_readiness_check(app, "upstream", broken)
    with caplog.at_level(logging.WARNING):
        client.get("/readyz")
    [record] = [r for r in caplog.records if "readiness" in r.getMessage()]
    assert record.getMessage() == (
        "readiness check upstream failed: raised ConnectionError: refused by the peer")
    assert record.exc_info is None


def test_readiness_names_every_failed_check_and_reports_the_first(app, client):
    add_readiness_check(app, "cache", lambda: False)
    add_readiness_check(app, "queue", lambda: True)
    add_readiness_check(app, "search", lambda: False)
    response = client.get("/readyz")
    assert response.json["check"] == "cache"
    assert response.json["detail"] == "not ready: cache, search"


def test_a_check_that_does_not_answer_in_time_is_not_ready(app, client):
    app.config["READINESS_TIMEOUT"] = 0.05
    released = threading.Event()
    add_readiness_check(app, "slow", released.wait)
    add_readiness_check(app, "fast", lambda: True)
    try:
        response = client.get("/readyz")
    finally:
        released.set()
    assert response.status_code == 503
    assert response.json["check"] == "slow"


def test_a_check_that_still_hangs_is_not_started_again(app, client, caplog):
    app.config["READINESS_TIMEOUT"] = 0.05
    released, calls = threading.Event(), []
    add_readiness_check(app, "slow", lambda: calls.append(1) or released.wait())
    try:
        first, second = client.get("/readyz"), client.get("/readyz")
    finally:
        released.set()
    assert first.status_code == second.status_code == 503
    assert calls == [1]
    assert "readiness check slow failed: did not answer within 0.05 s" in caplog.text
    app.extensions[RUNNING_KEY]["runs"]["slow"].join(5)
    assert client.get("/readyz").status_code == 200 and calls == [1, 1]  # done: runs again


def test_a_probe_during_a_run_shares_its_answer(app, client):
    started, released, calls = threading.Event(), threading.Event(), []
    add_readiness_check(app, "slow", lambda: calls.append(1) or started.set() or released.wait())
    first = threading.Thread(target=client.get, args=("/readyz",))
    first.start()
    started.wait(5)
    threading.Timer(0.1, released.set).start()
    try:
        second = client.get("/readyz")
    finally:
        released.set()
        first.join(5)
    assert second.status_code == 200 and calls == [1]


def test_checks_run_at_the_same_time(app, client):
    both_running = threading.Barrier(2, timeout=5)  # passes only when the two meet
    add_readiness_check(app, "first", lambda: both_running.wait() is not None)
    add_readiness_check(app, "second", lambda: both_running.wait() is not None)
    assert client.get("/readyz").status_code == 200


def test_a_check_runs_in_the_app_context(app, client):
    from flask import current_app

    add_readiness_check(app, "context", lambda: current_app.name == app.name)
    assert client.get("/readyz").status_code == 200


def test_a_second_check_under_a_taken_name_is_refused(app):
    add_readiness_check(app, "cache", lambda: True)
    with pytest.raises(ValueError, match="a readiness check named 'cache' is already registered"):
        add_readiness_check(app, "cache", lambda: False)
