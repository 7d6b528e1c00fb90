import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from {{ cookiecutter.__package }} import create_app
from {{ cookiecutter.__package }}.config import ConfigError
from {{ cookiecutter.__package }}.http_client import EXTENSION, http_client

HOLD_SECONDS = 5


class Upstream:
    """A real HTTP server on 127.0.0.1 that answers with scripted statuses and records calls."""

    def __init__(self):
        self.script = []
        self.calls = []
        self.release = threading.Event()
        upstream = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def answer(self):
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                upstream.calls.append((self.command, dict(self.headers), self.client_address))
                status = upstream.script.pop(0) if upstream.script else 200
                if status == "hold":
                    upstream.release.wait(HOLD_SECONDS)
                    status = 200
                body = b'{"ok": true}'
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except OSError:  # the client gave up waiting
                    self.close_connection = True

            do_GET = do_POST = do_PUT = answer

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/resource"
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def stop(self):
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join()


@pytest.fixture
def upstream():
    server = Upstream()
    yield server
    server.stop()


@pytest.fixture
def make_app():
    """Apps with fast retries whose sessions are closed after the test."""
    apps = []

    def make(**config):
        apps.append(create_app({"TESTING": True, "HTTP_BACKOFF_FACTOR": 0,
                                "HTTP_CONNECT_TIMEOUT": 1, "HTTP_READ_TIMEOUT": 1, **config}))
        return apps[-1]

    yield make
    for app in apps:
        app.extensions[EXTENSION].close()


@pytest.fixture
def session(make_app):
    with make_app().app_context():
        yield http_client()


@pytest.mark.parametrize("status", [502, 503, 504])
def test_idempotent_request_is_retried_after_a_gateway_error(upstream, session, status):
    upstream.script = [status, 200]
    response = session.get(upstream.url)
    assert response.status_code == 200
    assert [method for method, _, _ in upstream.calls] == ["GET", "GET"]


def test_put_is_idempotent_and_retried(upstream, session):
    upstream.script = [503, 200]
    assert session.put(upstream.url, json={}).status_code == 200
    assert len(upstream.calls) == 2


def test_post_is_not_retried(upstream, session):
    upstream.script = [503, 200]
    response = session.post(upstream.url, json={"order": 1})
    assert response.status_code == 503
    assert len(upstream.calls) == 1


def test_other_errors_are_not_retried(upstream, session):
    upstream.script = [500, 200]
    assert session.get(upstream.url).status_code == 500
    assert len(upstream.calls) == 1


def test_retries_stop_after_http_retries_with_the_last_answer(upstream, make_app):
    upstream.script = [503, 503, 503, 200]
    with make_app(HTTP_RETRIES=2).app_context():
        assert http_client().get(upstream.url).status_code == 503
    assert len(upstream.calls) == 3


def test_read_timeout_fails_within_its_bound(upstream, make_app):
    upstream.script = ["hold", "hold"]
    with make_app(HTTP_READ_TIMEOUT=0.2, HTTP_RETRIES=1).app_context():
        started = time.monotonic()
        with pytest.raises(requests.ConnectionError, match="Read timed out"):
            http_client().get(upstream.url)
        elapsed = time.monotonic() - started
    # Two attempts of 0.2 s each; the upstream would have held the request for 5 s.
    assert elapsed < HOLD_SECONDS - 1
    assert len(upstream.calls) == 2


def test_read_timeout_of_a_post_is_raised_without_a_retry(upstream, session):
    upstream.script = ["hold"]
    with pytest.raises(requests.ReadTimeout):
        session.post(upstream.url, json={}, timeout=(1, 0.2))
    assert len(upstream.calls) == 1


def test_request_id_travels_to_the_upstream(upstream, make_app):
    app = make_app()

    @app.get("/test/call")
    def call():
        return {"status": http_client().get(upstream.url).status_code}

    response = app.test_client().get("/test/call", headers={"X-Request-ID": "trace-7"})
    assert response.json == {"status": 200}
    _, headers, _ = upstream.calls[0]
    assert headers["X-Request-ID"] == "trace-7"


def test_an_explicit_request_id_header_is_kept(upstream, make_app):
    app = make_app()

    @app.get("/test/call")
    def call():
        return {"status": http_client().get(upstream.url, headers={"x-request-id": "mine"})
                .status_code}

    app.test_client().get("/test/call", headers={"X-Request-ID": "trace-7"})
    _, headers, _ = upstream.calls[0]
    assert headers["x-request-id"] == "mine"


def test_no_request_id_outside_a_request(upstream, session, make_app):
    session.get(upstream.url)  # in an app context, without a request
    make_app().extensions[EXTENSION].get(upstream.url)  # without any app context
    assert [("X-Request-ID" in headers) for _, headers, _ in upstream.calls] == [False, False]


def test_connections_are_pooled(upstream, session):
    session.get(upstream.url)
    session.get(upstream.url)
    first, second = (address for _, _, address in upstream.calls)
    assert first == second


def test_each_app_has_its_own_session(make_app):
    first, second = make_app(), make_app()
    with first.app_context():
        session = http_client()
        assert http_client() is session
    with second.app_context():
        assert http_client() is not session


@pytest.mark.parametrize("value", [None, 0, -1, "10", True])
@pytest.mark.parametrize("name", ["HTTP_CONNECT_TIMEOUT", "HTTP_READ_TIMEOUT"])
def test_timeouts_are_mandatory(name, value, make_app):
    with pytest.raises(ConfigError, match=f"{name} must be a positive number of seconds"):
        make_app(**{name: value})
