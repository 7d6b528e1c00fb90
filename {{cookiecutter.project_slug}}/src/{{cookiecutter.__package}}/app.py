"""The application factory: read it top to bottom to know the whole service."""

from pathlib import Path

from flask import Flask

{% if cookiecutter.auth == "jwt" -%}
from .auth import init_auth
{% endif -%}
from .config import load_config
{%- if cookiecutter.use_cors %}
from .cors import init_cors
{%- endif %}
{%- if cookiecutter.database == 'sqlalchemy' %}
from .db import init_db
{%- endif %}
from .errors import register_error_handlers
{%- if cookiecutter.use_http_client %}
from .http_client import init_http_client
{%- endif %}
from .log import init_logging
{%- if cookiecutter.use_metrics %}
from .metrics import init_metrics
{%- endif %}
from .proxies import init_proxies
{%- if cookiecutter.use_rate_limits %}
from .ratelimits import init_rate_limits
{%- endif %}
from .request_body import init_request_body
from .request_id import init_request_id
from .views import BLUEPRINTS


def create_app(config=None):
    """Build a new, independent application; ``config`` overrides every other source."""
    app = Flask(__package__, static_folder=None,
                instance_path=project_instance_folder(Path(__file__).resolve().parent))
    load_config(app, config)
    init_logging(app)
    init_proxies(app)
    init_request_id(app)
{%- if cookiecutter.use_rate_limits %}
    init_rate_limits(app)
{%- endif %}
{%- if cookiecutter.use_cors %}
    init_cors(app)
{%- endif %}
{%- if cookiecutter.auth == "jwt" %}
    init_auth(app)
{%- endif %}
{%- if cookiecutter.use_http_client %}
    init_http_client(app)
{%- endif %}
    register_error_handlers(app)
    init_request_body(app)
{%- if cookiecutter.use_metrics %}
    init_metrics(app)
{%- endif %}
{%- if cookiecutter.database == 'sqlalchemy' %}
    init_db(app)
{%- endif %}
    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)
    return app


def project_instance_folder(package):
    """The project's instance/ when the package runs from its source tree (src/<package>, as
    in an editable install); None, Flask's own choice, when it is installed."""
    source = package.parent
    if source.name == "src" and (source.parent / "pyproject.toml").is_file():
        return str(source.parent / "instance")
    return None
