import importlib
import sys

from {{ cookiecutter.__package }} import __version__, create_app


def test_importing_the_package_creates_no_app():
    for name in [m for m in sys.modules if m.split(".")[0] == "{{ cookiecutter.__package }}"]:
        del sys.modules[name]
    package = importlib.import_module("{{ cookiecutter.__package }}")
    assert not any(type(value).__name__ == "Flask" for value in vars(package).values())
    assert package.__version__ == __version__


def test_two_apps_are_independent():
    first = create_app({"TESTING": True, "SERVICE_NAME": "first"})
    second = create_app({"TESTING": True, "SERVICE_NAME": "second"})
    assert first is not second
    assert first.config is not second.config
    assert first.test_client().get("/").json["service"] == "first"
    assert second.test_client().get("/").json["service"] == "second"


def test_blueprints_are_registered_in_order(app):
    assert list(app.blueprints) == [
        "home",
        "health",
{%- if cookiecutter.auth == "jwt" %}
        "me",
{%- endif %}
{%- if cookiecutter.database == 'sqlalchemy' %}
        "items",
{%- endif %}
{%- if cookiecutter.use_openapi %}
        "openapi",
{%- endif %}
    ]


def test_there_are_no_static_files(app):
    assert "static" not in app.view_functions
