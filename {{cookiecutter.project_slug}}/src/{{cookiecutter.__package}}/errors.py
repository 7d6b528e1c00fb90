"""Every error is an RFC 9457 problem+json document; a 500 never leaks its cause."""

import json

from flask import current_app, g, jsonify, request
from flask.json.provider import DefaultJSONProvider
from werkzeug.exceptions import (
    BadRequest,
    HTTPException,
    InternalServerError,
    RequestEntityTooLarge,
)

PROBLEM_MIMETYPE = "application/problem+json"


def problem(status, title, detail, headers=None, **extra):
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail}
    body.update(extra)
    body["request_id"] = g.get("request_id")
    response = jsonify(body)
    response.status_code = status
    response.mimetype = PROBLEM_MIMETYPE
    response.headers.extend(headers or {})
    return response


def handle_http_exception(error):
    headers = [(k, v) for k, v in error.get_headers() if k.lower() != "content-type"]
    return problem(error.code, error.name, error.description, headers)


def handle_unexpected_exception(error):
    current_app.logger.error("unhandled exception", exc_info=error)
    generic = InternalServerError()
    return problem(generic.code, generic.name, generic.description)


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
            raise ValueError("JSON nested too deeply") from None
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


def register_error_handlers(app):
    app.json = RequestJSONProvider(app)
    app.before_request(read_streamed_body)
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(Exception, handle_unexpected_exception)
