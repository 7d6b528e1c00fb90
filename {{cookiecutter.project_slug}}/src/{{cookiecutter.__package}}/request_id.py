"""Request ids: keep a well-formed incoming X-Request-ID, otherwise make a new one."""

import re
import secrets

from flask import g, request

HEADER = "X-Request-ID"
VALID_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")


def current_or_new_request_id():
    incoming = request.headers.get(HEADER, "")
    if VALID_REQUEST_ID.fullmatch(incoming):
        return incoming
    return secrets.token_hex(16)


def assign_request_id():
    g.request_id = current_or_new_request_id()


def echo_request_id(response):
    response.headers[HEADER] = g.request_id
    return response


def init_request_id(app):
    app.before_request(assign_request_id)
    app.after_request(echo_request_id)
