"""Configuration: defaults, then a TOML file, then FLASK_* variables, then the caller's mapping."""

import os
import tomllib

import click

SETTINGS_VARIABLE = "{{ cookiecutter.__env_prefix }}_SETTINGS"

DEFAULTS = {
    "SERVICE_NAME": "{{ cookiecutter.__name_str }}",{{ cookiecutter.__name_noqa }}
    "LOG_LEVEL": "INFO",
    "MAX_CONTENT_LENGTH": 1024 * 1024,
    # Seconds /readyz waits for its checks in all: less than the readiness probe's timeout.
    "READINESS_TIMEOUT": 2.0,
    # Reverse proxies in front whose X-Forwarded-For and -Proto are true; 0 when clients
    # connect to gunicorn itself.
    "TRUSTED_PROXIES": 0,
{%- if cookiecutter.auth == "jwt" %}
    # JWT bearer tokens: issued elsewhere, verified here with a public key or a JWKS URL.
    "JWT_ISSUER": None,
    "JWT_AUDIENCE": None,
    "JWT_ALGORITHMS": ["RS256", "ES256"],
    "JWT_PUBLIC_KEY": None,
    "JWT_JWKS_URL": None,
    "JWT_JWKS_CACHE_SECONDS": 300,
    "JWT_LEEWAY": 30,
{%- endif %}
{%- if cookiecutter.use_http_client %}
    # Outbound HTTP: timeouts in seconds, retries of idempotent requests on 502, 503 and 504.
    "HTTP_CONNECT_TIMEOUT": 3.05,
    "HTTP_READ_TIMEOUT": 10,
    "HTTP_RETRIES": 3,
    "HTTP_BACKOFF_FACTOR": 0.5,
    "HTTP_POOL_SIZE": 16,
{%- endif %}
{%- if cookiecutter.use_cors %}
    # Origins allowed to call the service from a browser; empty means none.
    "CORS_ORIGINS": [],
{%- endif %}
{%- if cookiecutter.use_rate_limits %}
    # Requests a client may make to each route, in Flask-Limiter's notation: "100 per minute",
    # "10/second; 1000/day". The routes in RATELIMIT_EXEMPT_ROUTES are never limited.
    "RATELIMIT_DEFAULT": "100 per minute",
    "RATELIMIT_EXEMPT_ROUTES": ["/healthz", "/readyz"{% if cookiecutter.use_metrics %}, "/metrics"{% endif %}],
    # Where the counts live, shared by every worker: redis://host:6379/0. Required in production;
    # debug and the tests count in memory.
    "RATELIMIT_STORAGE_URI": None,
    "RATELIMIT_STORAGE_OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
    # With the storage unreachable, true serves on and counts in each worker's memory, so that an
    # outage of the storage does not become one of the service; false answers 503 meanwhile.
    "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
    # Keys in a storage that other services share start with it.
    "RATELIMIT_KEY_PREFIX": "{{ cookiecutter.__package }}",
{%- endif %}
{%- if cookiecutter.use_metrics %}
    # Routes that /metrics does not count; FLASK_METRICS_IGNORED_ROUTES='[]' counts every one.
    "METRICS_IGNORED_ROUTES": ["/healthz", "/readyz", "/metrics"],
{%- endif %}
{%- if cookiecutter.database == 'sqlalchemy' %}
    # Any SQLAlchemy URL; a relative SQLite path lives in the instance folder. Required in
    # production; debug and the tests fall back to db.DEVELOPMENT_DATABASE.
    "SQLALCHEMY_DATABASE_URI": None,
    # Test pooled connections before use, so a restarted database costs no failed request.
    "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
{%- endif %}
}
{%- set required = cookiecutter.auth == "jwt" or cookiecutter.database == 'sqlalchemy' or cookiecutter.use_rate_limits %}
{%- if required %}

# Settings without a safe default: startup stops when one is missing outside debug and testing.
REQUIRED_IN_PRODUCTION = (
{%- if cookiecutter.auth == "jwt" %}
    "JWT_ISSUER",
    "JWT_AUDIENCE",
    # and JWT_PUBLIC_KEY or JWT_JWKS_URL: auth.init_auth checks that one of them is set
{%- endif %}
{%- if cookiecutter.database == 'sqlalchemy' %}
    "SQLALCHEMY_DATABASE_URI",
{%- endif %}
{%- if cookiecutter.use_rate_limits %}
    "RATELIMIT_STORAGE_URI",
{%- endif %}
)
{%- endif %}


class ConfigError(click.ClickException, RuntimeError):
    """A configuration problem: ``create_app()`` raises it, and a server prints it as one line.

    The ``flask`` command prints a ClickException as ``Error: ...`` and exits 1; gunicorn does
    the same with a RuntimeError raised while it loads the app (``preload_app``).
    """

    def __init__(self, message):
        super().__init__(f"configuration error: {message}")


def load_config(app, config=None):
    app.config.from_mapping(DEFAULTS)
    load_settings_file(app)
    app.config.from_prefixed_env()
    if config is not None:
        app.config.from_mapping(config)
{%- if required %}
    check_required(app)
{%- endif %}


def load_settings_file(app):
    path = os.environ.get(SETTINGS_VARIABLE)
    if not path:
        return
    try:
        app.config.from_file(os.path.abspath(path), load=tomllib.load, text=False)
    except OSError as error:
        raise ConfigError(f"{SETTINGS_VARIABLE}={path} cannot be read: {error.strerror}")
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{SETTINGS_VARIABLE}={path} is not valid TOML: {error}")
{%- if required %}


def check_required(app):
    if app.debug or app.testing:
        return
    for name in REQUIRED_IN_PRODUCTION:
        if not app.config.get(name):
            raise ConfigError(
                f"{name} is required in production: set FLASK_{name} "
                f"or {name} in the file named by {SETTINGS_VARIABLE}"
            )
{%- endif %}
