"""Malformed requests: each one is a 4xx problem+json document, never a 500, never a traceback.

These reach the app through WSGI, as a server hands them over. Bytes that are not HTTP at all
never get that far: the server (gunicorn) refuses them itself.
"""

import io
import json
import re

import pytest
from flask import request

from {{ cookiecutter.__package }}.request_body import json_fault

PROBLEM_FIELDS = {"type", "title", "status", "detail", "request_id"}
FRESH_ID = re.compile(r"[0-9a-f]{32}")
LEAKS = ("Traceback", 'File "', "Error:", "Exception")


@pytest.fixture
def app(app):
    @app.post("/test/echo")
    def echo():
        return {"received": request.get_json()}

    return app


def assert_client_error(response, status=None):
    """A 4xx problem+json document with the request id and nothing of the server's insides."""
    assert 400 <= response.status_code < 500, response.get_data()
    if status is not None:
        assert response.status_code == status, response.get_data()
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert PROBLEM_FIELDS <= set(body)
    assert body["status"] == response.status_code
    assert body["request_id"] == response.headers["X-Request-ID"]
    text = response.get_data(as_text=True)
    assert not any(leak in text for leak in LEAKS), text
    return body


def post_json(client, data, content_type="application/json", **kwargs):
    return client.post("/test/echo", data=data, content_type=content_type, **kwargs)


INVALID_JSON = {
    "truncated": b'{"a": 1',
    "not-json": b"not json",
    "empty": b"",
    "single-quotes": b"{'a': 1}",
    "trailing-comma": b'{"a": 1,}',
    "nul-bytes": b"\x00\x00\x00",
    "invalid-utf-8": b'{"a": "\xff\xfe"}',
    "overlong-utf-8": b'{"a": "\xc0\xaf"}',
    "latin-1": '{"a": "\u00e9"}'.encode("latin-1"),
    "lone-surrogate": b'{"a": "\\ud800"}',
    "lone-low-surrogate": b'["\\udc00"]',
    "deep-nesting": b"[" * 100_000 + b"]" * 100_000,
    "deep-objects": b'{"a":' * 50_000 + b"1" + b"}" * 50_000,
    "huge-number": b"1" + b"0" * 5000,
}


@pytest.mark.parametrize("data", INVALID_JSON.values(), ids=INVALID_JSON.keys())
def test_invalid_json_is_400(client, data):
    assert assert_client_error(post_json(client, data), 400)["title"] == "Bad Request"


@pytest.mark.parametrize("name, detail", [
    ("empty", "the request body is empty: send a JSON document"),
    ("truncated", "the request body is not valid JSON: Expecting ',' delimiter at line 1, "
                  "column 8"),
    ("single-quotes", "the request body is not valid JSON: Expecting property name enclosed in "
                      "double quotes at line 1, column 2"),
    ("invalid-utf-8", "the request body is not UTF-8: byte 0xff at offset 7 cannot be decoded"),
    ("latin-1", "the request body is not UTF-8: byte 0xe9 at offset 7 cannot be decoded"),
    ("lone-surrogate", "the request body holds a lone surrogate (\\ud800 to \\udfff), which "
                       "JSON forbids"),
    ("deep-nesting", "the request body is nested too deeply: flatten its arrays and objects"),
    ("huge-number", "the request body holds a number with too many digits"),
])
def test_invalid_json_says_what_is_wrong(client, name, detail):
    assert assert_client_error(post_json(client, INVALID_JSON[name]), 400)["detail"] == detail


def test_invalid_json_names_the_line_and_column(client):
    body = assert_client_error(post_json(client, b'{\n  "a": 1\n  "b": 2}'), 400)
    assert body["detail"] == ("the request body is not valid JSON: Expecting ',' delimiter at "
                              "line 3, column 3")


def nested_lists(depth):
    value = []
    for _ in range(depth - 1):
        value = [value]
    return value


@pytest.mark.parametrize("data, expected", [
    (b'{"a": "\\ud83d\\ude00"}', {"a": "\U0001F600"}),  # a surrogate pair is one character
    (b"[" * 100 + b"]" * 100, nested_lists(100)),
    ('{"a": "\u00e9"}'.encode("utf-16"), {"a": "\u00e9"}),  # RFC 8259 readers detect UTF-16
], ids=["surrogate-pair", "nested-100", "utf-16"])
def test_valid_json_still_passes(client, data, expected):
    response = post_json(client, data)
    assert response.status_code == 200, response.get_data()
    assert response.get_json() == {"received": expected}


@pytest.mark.parametrize("content_type", [
    "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x",
    "application/xml", "application/jsonx", "json", "",
])
def test_wrong_content_type_is_415(client, content_type):
    assert_client_error(post_json(client, b'{"a": 1}', content_type), 415)


def test_body_over_the_configured_limit_is_413(app, client):
    limit = app.config["MAX_CONTENT_LENGTH"]
    assert_client_error(post_json(client, b'"' + b"a" * limit + b'"'), 413)


class MalformedChunks(io.BytesIO):
    """A server's chunked body whose next chunk cannot be decoded."""

    def read(self, size=-1):
        raise RuntimeError("Invalid chunk size: b'zz'")  # what the server raises is its own

    readinto = read


def post_chunked(client, data):
    """A body without Content-Length, as a server hands over a chunked one."""
    stream = data if isinstance(data, io.IOBase) else io.BytesIO(data)
    return client.post("/test/echo", input_stream=stream,
                       headers={"Content-Type": "application/json",
                                "Transfer-Encoding": "chunked"},
                       environ_overrides={"wsgi.input_terminated": True})


def test_chunked_body_over_the_limit_is_413_not_cut_short(app, client):
    app.config["MAX_CONTENT_LENGTH"] = 100
    assert_client_error(post_chunked(client, b"1" * 101), 413)  # cut short, it is valid JSON


def test_malformed_chunked_body_is_400(client):
    assert_client_error(post_chunked(client, MalformedChunks()), 400)


@pytest.mark.parametrize("length", [2, 99, 100])
def test_chunked_body_within_the_limit_passes(app, client, length):
    app.config["MAX_CONTENT_LENGTH"] = 100
    data = b'"' + b"a" * (length - 2) + b'"'
    response = post_chunked(client, data)
    assert response.status_code == 200, response.get_data()
    assert response.get_json() == {"received": json.loads(data)}


@pytest.mark.parametrize("length", ["5", "-1", "abc", "99999999999999999999"])
def test_a_lying_content_length_is_a_client_error(client, length):
    response = post_json(client, b'{"a": 1}', environ_overrides={"CONTENT_LENGTH": length})
    assert_client_error(response)


HOSTILE_REQUEST_IDS = {
    "crlf-header-injection": "a\r\nSet-Cookie: x=1",
    "crlf-response-splitting": "a\r\n\r\n<html>",
    "bare-lf": "a\nb",
    "bare-cr": "a\rb",
    "nul": "a\x00b",
    "escape-sequence": "\x1b[31mred",
    "delete": "\x7f",
    "tab": "a\tb",
    "non-ascii": "\u00e9t\u00e9",
    "too-long": "a" * 129,
    "space": "a b",
    "blank": " ",
    "path": "../../etc/passwd",
    "template": "${jndi:ldap://example.invalid/a}",
}


@pytest.mark.parametrize("value", HOSTILE_REQUEST_IDS.values(), ids=HOSTILE_REQUEST_IDS.keys())
def test_hostile_request_id_is_replaced_never_echoed(client, value):
    environ = {"HTTP_X_REQUEST_ID": value}
    response = client.get("/no-such-page", environ_base=environ)
    body = assert_client_error(response, 404)
    assert FRESH_ID.fullmatch(body["request_id"])
    for name, header in response.headers.items():
        assert not set("\r\n\x00") & set(name + header)
    served = client.get("/", environ_base=environ)
    assert served.status_code == 200
    assert FRESH_ID.fullmatch(served.headers["X-Request-ID"])


@pytest.mark.parametrize("method", ["FOO", "PROPFIND", "TRACE", "CONNECT", "BREW", "M-SEARCH",
                                    "DELETE", "PUT"])
def test_unknown_or_unsupported_method_is_405(client, method):
    response = client.open("/", method=method)
    assert_client_error(response, 405)
    assert "GET" in response.headers["Allow"]
    assert_client_error(client.open("/test/echo", method=method), 405)


@pytest.mark.parametrize("url", [
    "/" + "a" * 100_000,
    "/" + "%61" * 30_000,
    "/no-such-page?" + "q=" + "b" * 100_000,
    "/" + "/".join(["a"] * 10_000),
], ids=["long-path", "long-encoded-path", "long-query", "many-segments"])
def test_very_long_url_is_404(client, url):
    assert_client_error(client.get(url), 404)


@pytest.mark.parametrize("path", [
    "/%ff", "/%c0%af", "/%00", "/%e9", "/\u00e9", "/%2e%2e/%2e%2e/etc/passwd", "/..%2f..%2f",
    "/%252e", "/%", "/%zz", "/a%0d%0aSet-Cookie:x=1", "/\u202e", "/%ef%bb%bf",
])
def test_odd_encoding_in_the_path_is_404(client, path):
    response = client.get(path)
    assert_client_error(response, 404)
    assert "Set-Cookie" not in response.headers


@pytest.mark.parametrize("query", ["a=%ff", "%ff=1", "a=%", "a=%zz", "a=\u00e9", "&&&=&=", "a=%00"])
def test_odd_encoding_in_the_query_is_harmless(client, query):
    response = post_json(client, b'{"a": 1}', query_string=query)
    assert response.status_code == 200
    assert response.get_json() == {"received": {"a": 1}}


def test_a_fault_the_json_reader_does_not_name_is_told_without_its_words():
    assert json_fault(b"[1]", ValueError("internal detail")) == "the request body is not valid JSON"
