"""Per-client rate limits with Flask-Limiter: RATELIMIT_DEFAULT on each route but the exempt ones.

A client is its address (``request.remote_addr``).
{%- if cookiecutter.auth == "jwt" %} On a view guarded by ``require_scopes``
it is the subject of the bearer token, once the token verifies: a token that does not verify
counts against the address, so a forged ``sub`` evades nothing.
{%- endif %} The counts live in
RATELIMIT_STORAGE_URI (Redis), which every worker and every replica shares. When the storage
cannot be reached, RATELIMIT_IN_MEMORY_FALLBACK_ENABLED chooses: true serves on, counting in each
worker's own memory until the storage answers again; false answers 503 and /readyz names it.
"""

import logging
import math
import time
from dataclasses import dataclass

{% if cookiecutter.auth == "jwt" -%}
import jwt
{% endif -%}
from flask import current_app, request
from flask_limiter import Limiter, RateLimitExceeded
from limits import parse_many
from limits.errors import ConfigurationError, StorageError
from limits.strategies import STRATEGIES

{% if cookiecutter.auth == "jwt" -%}
from .auth import bearer_token, verify
{% endif -%}
from .config import ConfigError
from .errors import problem
from .readiness import add_readiness_check

EXTENSION = "rate_limits"
# Debug and the tests only: each process counts on its own, which production must not do.
DEVELOPMENT_STORAGE = "memory://"
READINESS_CHECK = "rate_limit_storage"
# While the storage is down and the service answers 503, one log line a minute says so.
OUTAGE_LOG_SECONDS = 60


@dataclass
class RateLimits:
    limiter: Limiter
    quiet_until: float = 0.0  # monotonic time before which an outage is not logged again


def client_key():
    """Whom a request counts against."""
{%- if cookiecutter.auth == "jwt" %}
    view = current_app.view_functions[request.endpoint]
    token = bearer_token()
    if token and getattr(view, "required_scopes", None) is not None:
        try:
            return f"subject:{verify(token)['sub']}"
        except jwt.PyJWTError:
            pass  # the view refuses the token; the request counts against the address
{%- endif %}
    return f"address:{request.remote_addr}"


def is_exempt():
    return request.url_rule.rule in current_app.config["RATELIMIT_EXEMPT_ROUTES"]


def add_headers(response):
    """RateLimit-Limit, -Remaining and -Reset (seconds, as the IETF draft defines it) on every
    limited response, and Retry-After on a 429."""
    limit = current_app.extensions[EXTENSION].limiter.current_limit
    if limit is None:  # an exempt route
        return response
    try:
        window = limit.window
    except StorageError:  # gone since it let the request in: the answer stands, without them
        return response
    seconds = str(max(0, math.ceil(window.reset_time - time.time())))
    response.headers["RateLimit-Limit"] = str(limit.limit.amount)
    response.headers["RateLimit-Remaining"] = str(window.remaining)
    response.headers["RateLimit-Reset"] = seconds
    if response.status_code == 429:
        response.headers["Retry-After"] = seconds
    return response


def too_many_requests(error):
    return problem(429, "Too Many Requests",
                   f"more than {error.description} from this client: try again in Retry-After "
                   "seconds")


def storage_unavailable(error):
    state = current_app.extensions[EXTENSION]
    now = time.monotonic()
    if now >= state.quiet_until:
        state.quiet_until = now + OUTAGE_LOG_SECONDS
        cause = error.storage_error
        current_app.logger.warning("rate limit storage unavailable, answering 503: %s: %s",
                                   type(cause).__name__, " ".join(str(cause).split()))
    return problem(503, "Service Unavailable", "the rate limit storage is unavailable")


class StorageErrorsInOneLine(logging.Filter):
    """Flask-Limiter logs a storage error it swallows at ERROR with a traceback: a storage that is
    down is no bug here, and one WARNING line says it."""

    def filter(self, record):
        if record.exc_info:
            error = record.exc_info[1]
            record.msg = f"{record.getMessage()}: {type(error).__name__}: {error}"
            record.args, record.exc_info, record.exc_text = (), None, None
            record.levelno, record.levelname = logging.WARNING, "WARNING"
        return True


ONE_LINE = StorageErrorsInOneLine()


def storage_uri(app):
    uri = app.config["RATELIMIT_STORAGE_URI"] or DEVELOPMENT_STORAGE
    if uri.startswith("memory:") and not (app.debug or app.testing):
        raise ConfigError("RATELIMIT_STORAGE_URI=memory:// counts in each worker's memory, "
                          "so every worker would allow the whole limit: use redis://host:6379/0")
    return uri


def check_limits(config):
    value = config["RATELIMIT_DEFAULT"]
    try:
        parse_many(value)
    except (TypeError, ValueError):
        raise ConfigError(f"RATELIMIT_DEFAULT={value!r} is not a rate limit: write it as "
                          "'100 per minute', or several as '10/second; 1000/day'") from None
    strategy = config.get("RATELIMIT_STRATEGY", "fixed-window")
    if strategy not in STRATEGIES:
        raise ConfigError(f"RATELIMIT_STRATEGY={strategy!r} is none of "
                          f"{', '.join(sorted(STRATEGIES))}")


def make_limiter(app):
    # Headers are written here: Flask-Limiter would give RateLimit-Reset as a time of day and
    # Retry-After on every response. wrap_exceptions: any storage's failure is a StorageError.
    # Flask-Limiter reads the other RATELIMIT_* settings (DEFAULT, IN_MEMORY_FALLBACK_ENABLED,
    # STORAGE_OPTIONS, KEY_PREFIX, STRATEGY, ...) itself.
    # swallow_errors with the fallback: a thread whose storage call fails just after another
    # one switched to memory gets the error again; it must serve, not answer 503 (this happens
    # under load, with the threads of a gunicorn worker).
    limiter = Limiter(client_key, storage_uri=storage_uri(app), headers_enabled=False,
                      storage_options={"wrap_exceptions": True},
                      swallow_errors=app.config["RATELIMIT_IN_MEMORY_FALLBACK_ENABLED"])
    limiter.request_filter(is_exempt)
    try:
        limiter.init_app(app)
    except (ConfigurationError, ValueError) as error:
        # The message would quote the URL, and with it any password.
        raise ConfigError(f"RATELIMIT_STORAGE_URI is not a storage URL "
                          f"({type(error).__name__}): use redis://host:6379/0") from None
    return limiter


def init_rate_limits(app):
    """Limit every route but RATELIMIT_EXEMPT_ROUTES; a bad setting stops startup."""
    check_limits(app.config)
    logging.getLogger("flask-limiter").addFilter(ONE_LINE)
    limiter = make_limiter(app)
    app.extensions[EXTENSION] = RateLimits(limiter)
    app.after_request(add_headers)
    app.register_error_handler(RateLimitExceeded, too_many_requests)
    app.register_error_handler(StorageError, storage_unavailable)
    if not app.config["RATELIMIT_IN_MEMORY_FALLBACK_ENABLED"]:
        add_readiness_check(app, READINESS_CHECK, limiter.storage.check)
