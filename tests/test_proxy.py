"""The rendered proxy/nginx.conf run by Debian's nginx in front of the all-on render under real
gunicorn, as the compose stack and the pod run them (on ports of the test's own, 127.0.0.1 only).

Slow clients (bench/slow_clients.py, 200 connections trickling their headers) and ordinary
traffic at once: no ordinary request fails and /healthz answers within a second; a flood from one
address gets 429 problem+json while another address is served; what nginx answers itself is
problem+json too. Both servers run in their own process group and are always stopped.
"""

import http.client
import json
import re
import shutil
import socket
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import pytest

from .conftest import bake_ok
from .options import ALL_ON
from .processes import (SLOW_CLIENTS, SLOW_CLIENTS_ARGUMENTS, accepts_connections,
                        assert_answering_under_slow_clients, free_port, start_server,
                        stop_process_group)
from .served import serving

pytestmark = pytest.mark.end_to_end

STARTUP_SECONDS = 30
PROBLEM_JSON = "application/problem+json"
# The lines of proxy/nginx.conf that tie it to its place beside gunicorn, and the test's own.
PLACES = {"listen 8080;": "listen 127.0.0.1:{port};",
          "server web:8000;": "server 127.0.0.1:{upstream};",
          "pid /tmp/nginx.pid;": "pid {folder}/nginx.pid;"}


def nginx():
    found = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/sbin")
    if not found:
        pytest.fail("nginx is not installed: .ci/run installs Debian's nginx")
    return found


@pytest.fixture(scope="module")
def project(cookies_session):
    # Without the service's own rate limits (tests/test_rate_limits.py), which need a Redis.
    return bake_ok(cookies_session, **{**ALL_ON, "use_rate_limits": False})


@pytest.fixture
def service(project, tmp_path):
    with serving(project, tmp_path, workers=2) as served:
        yield served


def moved_configuration(project, folder, port, upstream):
    """The render's proxy/nginx.conf but for its places: a port and an upstream of the test's."""
    text = (project / "proxy" / "nginx.conf").read_text(encoding="utf-8")
    for line, ours in PLACES.items():
        assert text.count(line) == 1, f"proxy/nginx.conf has no single {line!r}"
        text = text.replace(line, ours.format(port=port, upstream=upstream, folder=folder))
    conf = folder / "nginx.conf"
    conf.write_text(text, encoding="utf-8")
    return conf


@contextmanager
def proxying(project, folder, upstream):
    """nginx with the render's configuration, moved to a free port and ``upstream``."""
    port = free_port()
    conf = moved_configuration(project, folder, port, upstream)
    process = start_server([nginx(), "-e", "stderr", "-c", str(conf)], folder / "nginx.log",
                           lambda: accepts_connections(port), "nginx", STARTUP_SECONDS)
    try:
        yield port
    finally:
        stop_process_group(process)


def request(port, method="GET", path="/", body=None, source="127.0.0.1"):
    """(status, headers, body) of one request on a new connection from ``source``."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10,
                                            source_address=(source, 0))
    try:
        connection.request(method, path, body=body,
                           headers={"Content-Type": "application/json"} if body else {})
        response = connection.getresponse()
        return response.status, response.headers, response.read()
    finally:
        connection.close()


def raw_request(port, data):
    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        connection.sendall(data)
        response = http.client.HTTPResponse(connection)
        response.begin()
        return response.status, response.headers, response.read()


def assert_problem(answer, status):
    got, headers, body = answer
    assert got == status, answer
    assert headers["Content-Type"] == PROBLEM_JSON, answer
    problem = json.loads(body)
    assert problem["status"] == status and problem["title"], problem
    return problem


def test_the_configuration_passes_nginx_t(project, tmp_path):
    # Where `web` resolves (in compose, and in the pod), test_compose.py runs it unmoved.
    conf = moved_configuration(project, tmp_path, free_port(), free_port())
    checked = subprocess.run([nginx(), "-t", "-e", "stderr", "-c", str(conf)],
                             capture_output=True, text=True, timeout=60)
    assert checked.returncode == 0, checked.stderr
    assert "test is successful" in checked.stderr, checked.stderr


def test_slow_clients_and_ordinary_traffic_at_once(project, service, tmp_path):
    with proxying(project, tmp_path, service.port) as port:
        measured = subprocess.run([sys.executable, SLOW_CLIENTS, str(port),
                                   *SLOW_CLIENTS_ARGUMENTS],
                                  capture_output=True, text=True, timeout=120)
    assert measured.returncode == 0, measured.stderr
    assert_answering_under_slow_clients(measured.stdout)


def test_nginx_lets_idle_connections_to_gunicorn_go_before_gunicorn_closes_them(project):
    # Otherwise nginx may send a request on a connection gunicorn has just closed: a 502,
    # which for a POST nginx does not retry, and the client gets a 503.
    upstream = re.search(r"upstream service \{(.*?)\}", (project / "proxy" / "nginx.conf")
                         .read_text(encoding="utf-8"), re.S)[1]
    nginx_idle = re.search(r"keepalive_timeout (\d+)s;", upstream)
    gunicorn_idle = re.search(r"^keepalive = (\d+)$", (project / "gunicorn.conf.py")
                              .read_text(encoding="utf-8"), re.M)
    assert nginx_idle and gunicorn_idle, upstream
    assert int(nginx_idle[1]) < int(gunicorn_idle[1]), upstream


def test_a_flood_from_one_address_leaves_another_served(project, service, tmp_path):
    with proxying(project, tmp_path, service.port) as port:
        with ThreadPoolExecutor(16) as pool:
            flood = list(pool.map(lambda _: request(port, path="/healthz"), range(800)))
        other = [request(port, path="/healthz", source="127.0.0.2") for _ in range(20)]
    statuses = [status for status, _, _ in flood]
    assert statuses.count(429) > 0 and set(statuses) <= {200, 429}, set(statuses)
    limited = next(answer for answer in flood if answer[0] == 429)
    assert_problem(limited, 429)
    assert limited[1]["Retry-After"] == "1", limited
    assert [status for status, _, _ in other] == [200] * 20
    # A refusal is the limit working, not a fault: a warning line, never an error.
    log = (tmp_path / "nginx.log").read_text(encoding="utf-8")
    refusals = [line for line in log.splitlines() if "limiting requests" in line]
    assert refusals and all("[warn]" in line for line in refusals), log[-2000:]


def test_what_nginx_answers_itself_is_problem_json(project, service, tmp_path):
    with proxying(project, tmp_path, service.port) as port:
        bad = raw_request(port, b"NOT HTTP\r\n\r\n")
        assert assert_problem(bad, 400)["request_id"] == bad[1]["X-Request-ID"]
        assert_problem(request(port, "POST", "/items", body=b"[" * (1024 * 1024 + 1)), 413)
        assert_problem(request(port, path="/_problems/429"), 404)
        assert_problem(request(port, path="/" + "a" * 9000), 414)
        assert_problem(raw_request(port, b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: %s\r\n\r\n"
                                   % (b"a" * 9000)), 431)
        assert_problem(raw_request(port, b"TRACE / HTTP/1.1\r\nHost: x\r\n\r\n"), 405)
        assert_problem(raw_request(port, b"GET / HTTP/3.0\r\nHost: x\r\n\r\n"), 505)
        # /metrics is for the scraper, which reads gunicorn's port itself, not for clients.
        for path in ("/metrics", "/%6Detrics", "//metrics", "/metrics?format=text"):
            assert_problem(request(port, path=path), 404)
        assert request(service.port, path="/metrics")[0] == 200
        # The service's own answers pass as they are.
        missing = assert_problem(request(port, path="/no/such/path"), 404)
        assert "request_id" in missing and "spelling" in missing["detail"], missing
        stop_process_group(service.process)
        assert_problem(request(port, path="/healthz"), 503)
