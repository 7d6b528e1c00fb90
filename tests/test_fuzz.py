"""Fuzzing the all-on render as production serves it: gunicorn on 127.0.0.1, valid bearer tokens.

schemathesis generates requests from the OpenAPI document the service serves (valid and invalid
ones, and stateful sequences through the documented links) and checks every response against it:
no 5xx, statuses, content types, headers and bodies as documented, invalid data refused, secured
operations refusing requests without a token. TEMPLATE_TESTS_FUZZ_EXAMPLES sets the number of
examples per operation (default 100); each run draws a new seed, which a failure names, and
TEMPLATE_TESTS_FUZZ_SEED replays one.

Then requests that only a server sees, raw bytes on a socket: each one is answered by a 4xx
problem+json document, never a 500, never a stack trace.
"""

import json
import os
import random
import socket
import subprocess

import pytest

from .checks import tool
from .conftest import bake_ok
from .options import ALL_ON
from .served import serving

pytestmark = pytest.mark.end_to_end

EXAMPLES = int(os.environ.get("TEMPLATE_TESTS_FUZZ_EXAMPLES", "100"))
SEED = os.environ.get("TEMPLATE_TESTS_FUZZ_SEED") or str(random.randrange(2**32))
# A request that breaks the schema may also be refused for its size: 413, 414 or 431.
SCHEMATHESIS_CONFIG = """\
[checks.negative_data_rejection]
expected-statuses = ["400", "401", "403", "404", "405", "406", "409", "413", "414", "415",
                     "422", "428", "429", "431", "5xx"]
"""


# One schemathesis worker: with two, its generator failed now and then inside hypothesis
# (a SystemError from ast.parse on Python 3.11), an error of the tool, not of the service.


@pytest.fixture(scope="module")
def service(cookies_session, tmp_path_factory):
    project = bake_ok(cookies_session, **ALL_ON)
    with serving(project, tmp_path_factory.mktemp("fuzz"), workers=2) as service:
        yield service


def test_schemathesis_finds_no_server_error_and_no_broken_contract(service, tmp_path):
    config = tmp_path / "schemathesis.toml"
    config.write_text(SCHEMATHESIS_CONFIG, encoding="utf-8")
    token = service.token("profile items:write")
    command = [tool("schemathesis"), "--config-file", str(config), "--no-color", "run",
               f"{service.base_url}/openapi.json", "--checks", "all",
               "--header", f"Authorization: Bearer {token}",
               "--max-examples", str(EXAMPLES), "--workers", "1", "--request-timeout", "10",
               "--generation-database", "none", "--report", "junit",
               "--report-dir", str(tmp_path / "report"), "--seed", SEED]
    result = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=900)
    output = result.stdout + result.stderr
    replay = f"(replay: TEMPLATE_TESTS_FUZZ_SEED={SEED})"
    assert result.returncode == 0, f"{output[-12000:]}\n{replay}"
    assert "Test cases:" in output and " passed" in output, f"{output[-4000:]}\n{replay}"
    errors = [line for line in service.output().splitlines() if '"level": "ERROR"' in line]
    assert not errors, "\n".join([*errors[:5], replay])


def exchange(port, data, timeout=10):
    """Send raw bytes, read the answer until the server closes: (status, headers, body)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(data)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    head, _, body = b"".join(chunks).partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return int(status_line.split()[1]), headers, body


HOST = b"Host: 127.0.0.1\r\nConnection: close\r\n"
JSON = b"Content-Type: application/json\r\n"
# (id, raw request, expected status): what gunicorn itself refuses, and what reaches the app
# in a form that the Flask test client cannot produce.
ON_THE_WIRE = [
    ("crlf-in-request-id", b"GET / HTTP/1.1\r\n" + HOST + b"X-Request-ID: a\rb\r\n\r\n", 400),
    ("control-in-request-id", b"GET / HTTP/1.1\r\n" + HOST + b"X-Request-ID: a\x01b\r\n\r\n",
     400),
    ("nul-in-request-id", b"GET / HTTP/1.1\r\n" + HOST + b"X-Request-ID: a\x00b\r\n\r\n", 400),
    ("delete-in-request-id", b"GET / HTTP/1.1\r\n" + HOST + b"X-Request-ID: \x7f\r\n\r\n", 400),
    ("bare-lf-line-ends", b"GET / HTTP/1.1\nHost: 127.0.0.1\nConnection: close\n\n", 400),
    ("header-without-colon", b"GET / HTTP/1.1\r\n" + HOST + b"Nocolon\r\n\r\n", 400),
    ("space-in-header-name", b"GET / HTTP/1.1\r\n" + HOST + b"X Y: a\r\n\r\n", 400),
    ("unknown-method", b"BREW / HTTP/1.1\r\n" + HOST + b"\r\n", 405),
    ("lowercase-method", b"get / HTTP/1.1\r\n" + HOST + b"\r\n", 400),
    ("method-with-symbols", b"G@T / HTTP/1.1\r\n" + HOST + b"\r\n", 400),
    ("very-long-method", b"A" * 64 + b" / HTTP/1.1\r\n" + HOST + b"\r\n", 400),
    ("long-url", b"GET /" + b"a" * 4000 + b" HTTP/1.1\r\n" + HOST + b"\r\n", 404),
    ("too-long-url", b"GET /" + b"a" * 5000 + b" HTTP/1.1\r\n" + HOST + b"\r\n", 414),
    ("huge-url", b"GET /" + b"a" * 100_000 + b" HTTP/1.1\r\n" + HOST + b"\r\n", 414),
    ("raw-byte-in-path", b"GET /\xff HTTP/1.1\r\n" + HOST + b"\r\n", 400),
    ("space-in-path", b"GET /a b HTTP/1.1\r\n" + HOST + b"\r\n", 400),
    ("percent-ff-in-path", b"GET /%ff%c0%af HTTP/1.1\r\n" + HOST + b"\r\n", 404),
    ("unknown-http-version", b"GET / HTTP/2.0\r\n" + HOST + b"\r\n", 400),
    ("huge-header", b"GET / HTTP/1.1\r\n" + HOST + b"X-Big: " + b"a" * 10_000 + b"\r\n\r\n",
     431),
    ("too-many-headers",
     b"GET / HTTP/1.1\r\n" + HOST + b"".join(b"X-%d: a\r\n" % i for i in range(200)) + b"\r\n",
     431),
    ("length-and-chunked", b"POST /items HTTP/1.1\r\n" + HOST + JSON
     + b"Content-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),
    ("two-lengths", b"POST /items HTTP/1.1\r\n" + HOST + JSON
     + b"Content-Length: 3\r\nContent-Length: 4\r\n\r\n{}  ", 400),
    ("negative-length", b"POST /items HTTP/1.1\r\n" + HOST + b"Content-Length: -1\r\n\r\n", 400),
]


@pytest.mark.parametrize("data, status", [pytest.param(data, status, id=name)
                                          for name, data, status in ON_THE_WIRE])
def test_malformed_request_on_the_wire_is_a_4xx_problem(service, data, status):
    assert_problem(service, exchange(service.port, data), status)


def assert_problem(service, answer, status):
    code, headers, body = answer
    described = f"{code} {headers} {body[:500]!r}"
    assert code == status, described
    assert headers["content-type"] == "application/problem+json", described
    problem = json.loads(body)
    assert problem["status"] == status and problem["type"] == "about:blank", described
    assert problem["request_id"] == headers["x-request-id"], described
    assert b"Traceback" not in body and b'File "' not in body, described
    assert '"level": "ERROR"' not in service.output(), service.output()[-4000:]


def authorized(service):
    return f"Authorization: Bearer {service.token('items:write')}\r\n".encode()


def test_body_over_the_limit_is_413_before_it_is_sent(service):
    head = (b"POST /items HTTP/1.1\r\n" + HOST + JSON + authorized(service)
            + b"Content-Length: %d\r\n\r\n" % (1024 * 1024 + 1))
    assert_problem(service, exchange(service.port, head), 413)


def test_chunked_body_over_the_limit_is_413(service):
    chunk = b"%x\r\n%s\r\n" % (64 * 1024, b" " * 64 * 1024)
    data = (b"POST /items HTTP/1.1\r\n" + HOST + JSON + authorized(service)
            + b"Transfer-Encoding: chunked\r\n\r\n" + chunk * 17 + b"0\r\n\r\n")
    assert_problem(service, exchange(service.port, data), 413)


def test_bad_chunk_size_is_400(service):
    data = (b"POST /items HTTP/1.1\r\n" + HOST + JSON + authorized(service)
            + b"Transfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n")
    assert_problem(service, exchange(service.port, data), 400)


def test_invalid_json_and_wrong_content_type_on_the_wire(service):
    auth = authorized(service)
    invalid = (b"POST /items HTTP/1.1\r\n" + HOST + JSON + auth
               + b"Content-Length: 7\r\n\r\n{\"a\": [")
    assert_problem(service, exchange(service.port, invalid), 400)
    nested = b"[" * 50_000 + b"]" * 50_000
    deep = (b"POST /items HTTP/1.1\r\n" + HOST + JSON + auth
            + b"Content-Length: %d\r\n\r\n%s" % (len(nested), nested))
    assert_problem(service, exchange(service.port, deep), 400)
    text = (b"POST /items HTTP/1.1\r\n" + HOST + b"Content-Type: text/plain\r\n" + auth
            + b"Content-Length: 2\r\n\r\n{}")
    assert_problem(service, exchange(service.port, text), 415)
