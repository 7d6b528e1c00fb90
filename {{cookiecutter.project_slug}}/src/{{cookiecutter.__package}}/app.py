"""The application factory: read it top to bottom to know the whole service."""

from flask import Flask

from .config import load_config
{%- if cookiecutter.database == 'sqlalchemy' %}
from .db import init_db
{%- endif %}
from .errors import register_error_handlers
from .log import init_logging
from .request_id import init_request_id
from .views import BLUEPRINTS


def create_app(config=None):
    """Build a new, independent application; ``config`` overrides every other source."""
    app = Flask(__package__, static_folder=None)
    load_config(app, config)
    init_logging(app)
    init_request_id(app)
    register_error_handlers(app)
{%- if cookiecutter.database == 'sqlalchemy' %}
    init_db(app)
{%- endif %}
    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)
    return app
