"""Rate limits per client and route: counted in memory here, in Redis in production.

A storage that cannot be reached is a redis:// URL on a closed port of 127.0.0.1: connecting is
refused at once, as with a Redis that is down.
"""

import logging
import socket
import sys

import pytest
{%- if cookiecutter.auth == "jwt" %}
from jwt_tokens import TEST_KEY, bearer, tampered, trusting
{%- endif %}
from limits.errors import StorageError

from {{ cookiecutter.__package }} import create_app
from {{ cookiecutter.__package }}.config import ConfigError
from {{ cookiecutter.__package }}.ratelimits import EXTENSION, ONE_LINE, READINESS_CHECK
{% if cookiecutter.auth == "jwt" %}
TRUSTED = trusting(TEST_KEY)  # as in the ``app`` fixture: tokens from bearer() pass
{%- else %}
TRUSTED = {}
{%- endif %}
HEADERS = ("RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset")


def unreachable_storage():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"redis://127.0.0.1:{probe.getsockname()[1]}/0"


@pytest.fixture
def make_app(app):
    """Apps with other settings, tested with the client class of the ``app`` fixture."""

    def make(limit="2 per minute", **config):
        made = create_app({"TESTING": True, **TRUSTED, "RATELIMIT_DEFAULT": limit, **config})
        made.test_client_class = app.test_client_class
        return made

    return make


def limited_operations(app):
    """(method, URL) of every route but the exempt ones, its path arguments set to 1."""
    urls = app.url_map.bind("localhost")
    exempt = app.config["RATELIMIT_EXEMPT_ROUTES"]
    return [(method, urls.build(rule.endpoint, dict.fromkeys(rule.arguments, 1), method=method))
            for rule in app.url_map.iter_rules() if rule.rule not in exempt
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"})]


def assert_problem(response, status):
    assert response.status_code == status
    assert response.mimetype == "application/problem+json"
    assert response.json["status"] == status
    assert response.json["request_id"] == response.headers["X-Request-ID"]
    assert "Traceback" not in response.get_data(as_text=True)
    return response.json


def test_a_client_over_the_limit_gets_429_with_retry_after(make_app):
    client = make_app("2 per minute").test_client()
    first, second = client.get("/"), client.get("/")
    assert [first.status_code, second.status_code] == [200, 200]
    assert [first.headers["RateLimit-Remaining"], second.headers["RateLimit-Remaining"]] == [
        "1", "0"]
    assert first.headers["RateLimit-Limit"] == "2"
    assert 55 < int(first.headers["RateLimit-Reset"]) <= 60
    assert "Retry-After" not in first.headers

    refused = client.get("/")
    body = assert_problem(refused, 429)
    assert body["title"] == "Too Many Requests"
    assert body["detail"] == ("more than 2 per 1 minute from this client: try again in "
                              "Retry-After seconds")
    assert refused.headers["RateLimit-Remaining"] == "0"
    assert 55 < int(refused.headers["Retry-After"]) <= 60
    assert refused.headers["Retry-After"] == refused.headers["RateLimit-Reset"]


def test_every_route_but_the_exempt_ones_is_limited(make_app):
    # Counted per method here, so that each operation of a view has a count of its own.
    app = make_app("1 per minute", RATELIMIT_DEFAULTS_PER_METHOD=True)
    client = app.test_client()
    operations = limited_operations(app)
    assert ("GET", "/") in operations
    for method, url in operations:
        first = client.open(url, method=method)
        assert first.status_code != 429 and first.headers["RateLimit-Limit"] == "1", (method, url)
        assert_problem(client.open(url, method=method), 429)


def test_the_exempt_routes_are_never_limited(make_app):
    app = make_app("1 per minute")
    client = app.test_client()
    exempt = app.config["RATELIMIT_EXEMPT_ROUTES"]
    assert {"/healthz", "/readyz"} <= set(exempt)
    for route in exempt:
        responses = [client.get(route) for _ in range(3)]
        assert [response.status_code for response in responses] == [200] * 3, route
        assert not any(header in responses[-1].headers for header in HEADERS), route


def test_each_client_address_has_a_limit_of_its_own(make_app):
    client = make_app("1 per minute").test_client()

    def status(address):
        return client.get("/", environ_base={"REMOTE_ADDR": address}).status_code

    assert [status("192.0.2.1"), status("192.0.2.1"), status("192.0.2.2")] == [200, 429, 200]
{%- if cookiecutter.auth == "jwt" %}


def test_a_guarded_view_counts_each_verified_subject_apart(make_app):
    client = make_app("2 per minute").test_client()
    alice, bob = bearer("profile", sub="alice"), bearer("profile", sub="bob")
    statuses = [client.get("/me", headers=alice).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    assert client.get("/me", headers=bob).status_code == 200  # same address, another subject


def test_a_forged_subject_counts_against_the_address(make_app):
    client = make_app("2 per minute").test_client()
    token = bearer("profile")["Authorization"].removeprefix("Bearer ")
    forged = [{"Authorization": f"Bearer {tampered(token, sub=f'someone-{n}')}"}
              for n in range(3)]
    statuses = [client.get("/me", headers=headers).status_code for headers in forged]
    assert statuses == [401, 401, 429]
    assert client.get("/me").status_code == 429  # and so does a request without a token


def test_an_open_view_counts_against_the_address_even_with_a_token(make_app):
    client = make_app("1 per minute").test_client()
    assert client.get("/", headers=bearer("profile")).status_code == 200
    assert client.get("/", headers=bearer("profile", sub="another")).status_code == 429
{%- endif %}


def test_an_unreachable_storage_fails_open_counting_in_memory(make_app, caplog):
    client = make_app("2 per minute", RATELIMIT_STORAGE_URI=unreachable_storage()).test_client()
    statuses = [client.get("/").status_code for _ in range(3)]
    assert statuses == [200, 200, 429]  # the limit still holds, in this process
    assert client.get("/readyz").status_code == 200
    fallbacks = [record for record in caplog.records if "unreachable" in record.getMessage()]
    assert len(fallbacks) == 1 and fallbacks[0].levelno == logging.WARNING
    assert not [record for record in caplog.records if record.exc_info]


@pytest.fixture
def fail_closed(make_app, caplog):
    app = make_app(RATELIMIT_STORAGE_URI=unreachable_storage(),
                   RATELIMIT_IN_MEMORY_FALLBACK_ENABLED=False)
    app.logger.addHandler(caplog.handler)  # the app's logger does not propagate
    yield app
    app.logger.removeHandler(caplog.handler)


def test_an_unreachable_storage_fails_closed_with_503_and_one_log_line(fail_closed, caplog):
    client = fail_closed.test_client()
    for _ in range(3):
        body = assert_problem(client.get("/"), 503)
        assert body["detail"] == "the rate limit storage is unavailable"
    assert client.get("/healthz").status_code == 200
    lines = [record for record in caplog.records
             if record.getMessage().startswith("rate limit storage unavailable")]
    assert len(lines) == 1 and "ConnectionError" in lines[0].getMessage()
    assert not [record for record in caplog.records if record.exc_info]


def test_failing_closed_makes_every_limited_route_503_and_the_service_unready(fail_closed):
    client = fail_closed.test_client()
    for method, url in limited_operations(fail_closed):
        assert_problem(client.open(url, method=method), 503)
    assert assert_problem(client.get("/readyz"), 503)["check"] == READINESS_CHECK


def test_failing_closed_is_ready_while_the_storage_answers(make_app):
    app = make_app(RATELIMIT_IN_MEMORY_FALLBACK_ENABLED=False)
    assert app.test_client().get("/readyz").status_code == 200


def test_a_storage_lost_after_letting_a_request_in_leaves_the_answer(make_app, monkeypatch):
    app = make_app()
    strategy = app.extensions[EXTENSION].limiter.limiter

    def lost(*args):
        raise StorageError(ConnectionError("gone"))

    monkeypatch.setattr(strategy, "get_window_stats", lost)
    response = app.test_client().get("/")
    assert response.status_code == 200
    assert not any(header in response.headers for header in HEADERS)


def test_the_reset_is_in_seconds_not_a_time_of_day(make_app):
    client = make_app("1 per hour").test_client()
    assert 3590 < int(client.get("/").headers["RateLimit-Reset"]) <= 3600


def test_production_requires_a_storage():
    with pytest.raises(ConfigError, match="RATELIMIT_STORAGE_URI is required in production"):
        create_app({**TRUSTED})
    assert create_app({**TRUSTED, "RATELIMIT_STORAGE_URI": unreachable_storage()})


@pytest.mark.parametrize("config, message", [
    ({"RATELIMIT_STORAGE_URI": "memory://"}, "counts in each worker's memory"),
    ({"RATELIMIT_STORAGE_URI": "cassandra://db:9042"}, "is not a storage URL"),
    ({"RATELIMIT_STORAGE_URI": "redis://:hunter2@db:port/0"}, "is not a storage URL"),
    ({"RATELIMIT_DEFAULT": "lots"}, "RATELIMIT_DEFAULT='lots' is not a rate limit"),
    ({"RATELIMIT_DEFAULT": 100}, "RATELIMIT_DEFAULT=100 is not a rate limit"),
    ({"RATELIMIT_STRATEGY": "leaky-bucket"}, "RATELIMIT_STRATEGY='leaky-bucket' is none of "
                                             "fixed-window, moving-window"),
], ids=["memory", "unknown-scheme", "bad-port", "bad-limit", "number", "bad-strategy"])
def test_bad_settings_stop_startup_with_one_line(config, message):
    with pytest.raises(ConfigError, match=message) as stopped:
        create_app({**TRUSTED, "RATELIMIT_STORAGE_URI": unreachable_storage(), **config})
    assert "\n" not in str(stopped.value) and "hunter2" not in str(stopped.value)


def test_a_swallowed_storage_error_is_one_warning_line():
    try:
        raise StorageError(ConnectionError("Connection refused"))
    except StorageError:
        record = logging.LogRecord("flask-limiter", logging.ERROR, __file__, 1,
                                   "Failed to rate limit. Swallowing error", (), sys.exc_info())
    assert ONE_LINE.filter(record)
    assert (record.levelname, record.exc_info) == ("WARNING", None)
    assert record.getMessage().startswith("Failed to rate limit. Swallowing error: StorageError")


def test_other_records_of_the_limiter_pass_as_they_are():
    record = logging.LogRecord("flask-limiter", logging.WARNING, __file__, 1, "falling back",
                               (), None)
    assert ONE_LINE.filter(record) and record.getMessage() == "falling back"
