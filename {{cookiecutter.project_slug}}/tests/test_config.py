import pytest
from click.testing import CliRunner
from flask.cli import FlaskGroup

from {{ cookiecutter.__package }} import create_app
from {{ cookiecutter.__package }}.config import (
    DEFAULTS,
{%- if cookiecutter.auth == "jwt" or cookiecutter.database == 'sqlalchemy' or cookiecutter.use_rate_limits %}
    REQUIRED_IN_PRODUCTION,
{%- endif %}
    SETTINGS_VARIABLE,
    ConfigError,
)


@pytest.fixture
def settings_file(tmp_path, monkeypatch):
    path = tmp_path / "settings.toml"
    monkeypatch.setenv(SETTINGS_VARIABLE, str(path))
    return path


def test_defaults_apply_when_nothing_else_is_set():
    app = create_app({"TESTING": True})
    assert app.config["SERVICE_NAME"] == DEFAULTS["SERVICE_NAME"]
    assert app.config["MAX_CONTENT_LENGTH"] == 1024 * 1024


def test_each_source_overrides_the_one_before(settings_file, monkeypatch):
    settings_file.write_text(
        'SERVICE_NAME = "from-file"\nLOG_LEVEL = "WARNING"\nREADINESS_TIMEOUT = 1.5\n'
        'lowercase_is_ignored = true\n'
{%- if cookiecutter.auth == "jwt" %}
        'JWT_ISSUER = "https://issuer.example.com/"\nJWT_AUDIENCE = "https://api.example.com"\n'
        'JWT_JWKS_URL = "https://issuer.example.com/jwks"\n'
{%- endif %}
{%- if cookiecutter.use_rate_limits %}
        'RATELIMIT_STORAGE_URI = "redis://127.0.0.1:1/0"\n'
{%- endif %}
    )
    monkeypatch.setenv("FLASK_LOG_LEVEL", "ERROR")
    monkeypatch.setenv("FLASK_SERVICE_NAME", "from-env")
    app = create_app({"SERVICE_NAME": "from-mapping"})
    assert app.config["READINESS_TIMEOUT"] == 1.5
    assert app.config["LOG_LEVEL"] == "ERROR"
    assert app.config["SERVICE_NAME"] == "from-mapping"
    assert "lowercase_is_ignored" not in app.config


def test_environment_values_are_parsed_as_json(monkeypatch):
    monkeypatch.setenv("FLASK_MAX_CONTENT_LENGTH", "2048")
    assert create_app({"TESTING": True}).config["MAX_CONTENT_LENGTH"] == 2048


{%- if cookiecutter.auth == "jwt" or cookiecutter.database == 'sqlalchemy' or cookiecutter.use_rate_limits %}


def test_missing_production_setting_stops_startup_naming_it(monkeypatch):
{%- if cookiecutter.database == 'sqlalchemy' %}
    monkeypatch.delenv("FLASK_SQLALCHEMY_DATABASE_URI")
{%- endif %}
    with pytest.raises(ConfigError) as stopped:
        create_app()
    message, first = str(stopped.value), REQUIRED_IN_PRODUCTION[0]
    assert f"{first} is required in production" in message and f"FLASK_{first}" in message
    assert "\n" not in message
{%- endif %}


def test_production_starts_when_required_settings_are_present(monkeypatch):
{%- if cookiecutter.auth == "jwt" %}
    monkeypatch.setenv("FLASK_JWT_ISSUER", "https://issuer.example.com/")
    monkeypatch.setenv("FLASK_JWT_AUDIENCE", "https://api.example.com")
    monkeypatch.setenv("FLASK_JWT_JWKS_URL", "https://issuer.example.com/jwks")
{%- endif %}
{%- if cookiecutter.use_rate_limits %}
    monkeypatch.setenv("FLASK_RATELIMIT_STORAGE_URI", "redis://127.0.0.1:1/0")  # never reached
{%- endif %}
    app = create_app()
    assert not app.debug and not app.testing


def test_debug_does_not_require_production_settings():
    assert create_app({"DEBUG": True}).debug


def test_unreadable_settings_file_is_one_line_error(settings_file):
    with pytest.raises(ConfigError, match=f"{SETTINGS_VARIABLE}=.*cannot be read"):
        create_app({"TESTING": True})


def test_invalid_toml_is_one_line_error(settings_file):
    settings_file.write_text("SERVICE_NAME = \n")
    with pytest.raises(ConfigError, match="is not valid TOML"):
        create_app({"TESTING": True})


def test_a_configuration_error_is_an_exception_not_an_exit(settings_file):
    with pytest.raises(ConfigError) as raised:
        create_app({"TESTING": True})
    assert not isinstance(raised.value, SystemExit)  # a script or a test carries on


def test_the_flask_command_prints_a_configuration_error_as_one_line(settings_file):
    # FlaskGroup is the `flask` command; click prints what stops it and exits 1.
    flask = FlaskGroup(create_app=create_app, load_dotenv=False)
    result = CliRunner().invoke(flask, ["routes"])
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        f"Error: configuration error: {SETTINGS_VARIABLE}={settings_file} cannot be read: "
        "Unable to load configuration file (No such file or directory)"]
