"""Outbound HTTP: a requests session with timeouts, retries and the current request id.

Inside a request, ``http_client().get(url)`` reuses the app's pooled session. Every call has a
(connect, read) timeout; idempotent methods are retried with exponential backoff on 502, 503 and
504 and on network errors; a POST or PATCH is retried only when no connection could be made,
that is, when nothing was sent. The incoming X-Request-ID travels on with every call.
"""

import numbers

import requests
from flask import current_app, g, has_app_context
from requests.adapters import HTTPAdapter
from requests.structures import CaseInsensitiveDict
from urllib3.util import Retry

from .config import ConfigError
from .request_id import HEADER

EXTENSION = "http_client"
RETRY_STATUSES = frozenset({502, 503, 504})


class ServiceSession(requests.Session):
    """A session whose calls always have a timeout and carry the current request id."""

    def __init__(self, timeout):
        super().__init__()
        self.timeout = timeout

    def request(self, method, url, **kwargs):
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self.timeout
        request_id = g.get("request_id") if has_app_context() else None
        if request_id:
            headers = CaseInsensitiveDict(kwargs.get("headers") or {})
            headers.setdefault(HEADER, request_id)
            kwargs["headers"] = headers
        return super().request(method, url, **kwargs)


def make_session(config):
    """A new pooled session configured from a mapping such as ``app.config``."""
    for name in ("HTTP_CONNECT_TIMEOUT", "HTTP_READ_TIMEOUT"):
        value = config[name]
        if isinstance(value, bool) or not isinstance(value, numbers.Real) or value <= 0:
            raise ConfigError(f"{name} must be a positive number of seconds, got {value!r}")
    retry = Retry(
        total=config["HTTP_RETRIES"],
        backoff_factor=config["HTTP_BACKOFF_FACTOR"],
        status_forcelist=RETRY_STATUSES,
        allowed_methods=Retry.DEFAULT_ALLOWED_METHODS,
        raise_on_status=False,
        # A bounded wait: an upstream's Retry-After could hold the request for hours.
        respect_retry_after_header=False,
    )
    adapter = HTTPAdapter(max_retries=retry, pool_connections=config["HTTP_POOL_SIZE"],
                          pool_maxsize=config["HTTP_POOL_SIZE"])
    session = ServiceSession((config["HTTP_CONNECT_TIMEOUT"], config["HTTP_READ_TIMEOUT"]))
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


def init_http_client(app):
    app.extensions[EXTENSION] = make_session(app.config)


def http_client():
    """The current app's session: share it, so that connections are pooled."""
    return current_app.extensions[EXTENSION]
