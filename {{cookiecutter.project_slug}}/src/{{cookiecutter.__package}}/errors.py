"""Every error is an RFC 9457 problem+json document; a 500 never leaks its cause."""

import json

from flask import current_app, g, jsonify
from flask.json.provider import DefaultJSONProvider
from werkzeug.exceptions import HTTPException, InternalServerError

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
        except RecursionError:
            raise ValueError("JSON nested too deeply") from None
        json.dumps(value, ensure_ascii=False).encode()  # UnicodeEncodeError on a lone surrogate
        return value


def register_error_handlers(app):
    app.json = RequestJSONProvider(app)
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(Exception, handle_unexpected_exception)
