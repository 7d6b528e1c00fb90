"""Reading a request's body: a malformed one is a 400 (or 413) that says what is wrong."""

import json

from flask import Request, request
from flask.json.provider import DefaultJSONProvider
from werkzeug.exceptions import BadRequest, RequestEntityTooLarge


class NestedTooDeeply(ValueError):
    pass


class JSONRequest(Request):
    """``request.get_json()`` that names the fault of a body it cannot read."""

    def on_json_loading_failed(self, error):
        if error is None:  # not sent as JSON: Flask's 415 says which content type it needs
            return super().on_json_loading_failed(error)
        raise BadRequest(json_fault(self.get_data(), error))


def json_fault(data, error):
    if not data.strip():
        return "the request body is empty: send a JSON document"
    if isinstance(error, UnicodeDecodeError):
        return (f"the request body is not UTF-8: byte {error.object[error.start]:#04x} "
                f"at offset {error.start} cannot be decoded")
    if isinstance(error, NestedTooDeeply):
        return "the request body is nested too deeply: flatten its arrays and objects"
    if isinstance(error, UnicodeEncodeError):
        return "the request body holds a lone surrogate (\\ud800 to \\udfff), which JSON forbids"
    if isinstance(error, json.JSONDecodeError):
        return (f"the request body is not valid JSON: {error.msg} at line {error.lineno}, "
                f"column {error.colno}")
    if "integer string conversion" in str(error):  # Python's limit on the digits of an int
        return "the request body holds a number with too many digits"
    return "the request body is not valid JSON"


class RequestJSONProvider(DefaultJSONProvider):
    """Flask's JSON, but a body nested too deeply or holding a lone surrogate is invalid JSON.

    ``request.get_json()`` turns a ValueError into a 400; without this, deep nesting raises
    RecursionError, and a lone ``\\ud800`` (which I-JSON, RFC 7493, forbids) fails later, when
    the text is encoded as UTF-8 (by a database driver, say): both would be 500s.
    """

    def loads(self, s, **kwargs):
        try:
            value = super().loads(s, **kwargs)
            # Python 3.14 decodes deeper than it can encode: what the response could not echo
            # is too deep as well.
            json.dumps(value, ensure_ascii=False).encode()  # UnicodeEncodeError: lone surrogate
        except RecursionError:
            raise NestedTooDeeply() from None
        return value


def read_streamed_body():
    """Read a chunked body before the view: over MAX_CONTENT_LENGTH it is a 413, malformed a 400.

    werkzeug reads a body that has no Content-Length up to the limit and returns what it read,
    so a longer one would reach the view cut short: look for one byte more. And a chunk that the
    server cannot decode raises the server's own exception, which would be a 500.
    """
    if not request.environ.get("HTTP_TRANSFER_ENCODING") or request.max_content_length is None:
        return
    try:
        request.get_data()  # cached: the view's get_json() and form parsing read it from there
        beyond_the_limit = request.environ["wsgi.input"].read(1)
    except Exception as error:
        raise BadRequest("the chunked request body is malformed") from error
    if beyond_the_limit:
        raise RequestEntityTooLarge()


def init_request_body(app):
    app.request_class = JSONRequest
    app.json = RequestJSONProvider(app)
    app.before_request(read_streamed_body)
