"""Every error is an RFC 9457 problem+json document; a 500 never leaks its cause."""

from flask import current_app, g, jsonify
from werkzeug.exceptions import HTTPException, InternalServerError

PROBLEM_MIMETYPE = "application/problem+json"


def problem(status, title, detail, headers=None, **extra):
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail}
    body.update(extra)
    body["request_id"] = g.get("request_id")
    response = jsonify(body)
    response.status = f"{status} {title}"  # the reason phrase agrees with the title
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


def register_error_handlers(app):
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(Exception, handle_unexpected_exception)
