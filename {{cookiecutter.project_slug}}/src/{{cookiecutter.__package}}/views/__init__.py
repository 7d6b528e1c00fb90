"""The blueprints of the service: each module named in MODULES has a ``bp``, registered in
this order. A new module of views is one more name here."""

from importlib import import_module

MODULES = (
    "home",
    "health",
{%- if cookiecutter.auth == "jwt" %}
    "me",
{%- endif %}
{%- if cookiecutter.database == 'sqlalchemy' %}
    "items",
{%- endif %}
{%- if cookiecutter.use_metrics %}
    "metrics",
{%- endif %}
{%- if cookiecutter.use_openapi %}
    "openapi",
{%- endif %}
)
BLUEPRINTS = tuple(import_module(f".{name}", __name__).bp for name in MODULES)
