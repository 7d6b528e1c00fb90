"""The blueprints of the service, registered in this order."""

from . import health, home
{%- if cookiecutter.auth == "jwt" %}
from . import me
{%- endif %}

BLUEPRINTS = (
    home.bp,
    health.bp,
{%- if cookiecutter.auth == "jwt" %}
    me.bp,
{%- endif %}
)
