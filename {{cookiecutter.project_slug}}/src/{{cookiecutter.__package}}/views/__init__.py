"""The blueprints of the service, registered in this order."""

from . import health, home
{%- if cookiecutter.auth == "jwt" %}
from . import me
{%- endif %}
{%- if cookiecutter.database == 'sqlalchemy' %}
from . import items
{%- endif %}
{%- if cookiecutter.use_openapi %}
from . import openapi
{%- endif %}

BLUEPRINTS = (
    home.bp,
    health.bp,
{%- if cookiecutter.auth == "jwt" %}
    me.bp,
{%- endif %}
{%- if cookiecutter.database == 'sqlalchemy' %}
    items.bp,
{%- endif %}
{%- if cookiecutter.use_openapi %}
    openapi.bp,
{%- endif %}
)
