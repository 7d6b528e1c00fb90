import stat

import pytest
from jwt_tokens import AUDIENCE, ISSUER, TEST_KEY, public_pem

import {{ cookiecutter.__package }}.app as app_module
from {{ cookiecutter.__package }} import create_app
{%- if cookiecutter.use_rate_limits %}

# What production requires besides the JWT settings: a rate limit storage (none listens on port
# 1, so these apps count in memory).
PRODUCTION = {"RATELIMIT_STORAGE_URI": "redis://127.0.0.1:1/0"}
{%- else %}

PRODUCTION = {}  # what production requires besides the JWT settings
{%- endif %}


@pytest.fixture
def instance(monkeypatch, tmp_path):
    monkeypatch.setattr(app_module, "project_instance_folder", lambda package: str(tmp_path))
    return tmp_path


@pytest.fixture
def debug_app(instance):
    return create_app({"DEBUG": True})


def dev_token(app, *args):
    return app.test_cli_runner().invoke(args=["dev-token", *args])


def get_me(app, token):
    return app.test_client().get("/me", headers={"Authorization": f"Bearer {token}"})


def test_a_development_token_opens_a_guarded_view(debug_app, instance):
    result = dev_token(debug_app, "--scope", "profile", "--scope", "orders:read",
                       "--subject", "ada")
    assert result.exit_code == 0, result.output
    response = get_me(debug_app, result.output.strip())
    assert response.status_code == 200, response.json
    assert response.json == {"subject": "ada", "scopes": ["orders:read", "profile"]}
    assert stat.S_IMODE((instance / "dev-jwt-key.pem").stat().st_mode) == 0o600


def test_a_blank_subject_is_refused(debug_app):
    result = dev_token(debug_app, "--subject", " ")
    assert result.exit_code == 2 and "--subject" in result.output


def test_the_development_key_is_made_once_and_kept(debug_app, instance):
    first = dev_token(debug_app, "--scope", "profile").output.strip()
    key = (instance / "dev-jwt-key.pem").read_bytes()
    second = dev_token(debug_app, "--scope", "profile").output.strip()
    assert (instance / "dev-jwt-key.pem").read_bytes() == key
    assert get_me(debug_app, first).status_code == get_me(debug_app, second).status_code == 200


def test_a_debug_service_without_a_key_says_how_to_get_one(debug_app):
    response = get_me(debug_app, "a.b.c")
    assert response.status_code == 401
    assert "`flask dev-token` makes a development key" in response.json["detail"]


@pytest.mark.parametrize("config", [
    {"TESTING": True},
    {"DEBUG": True, "JWT_PUBLIC_KEY": public_pem(TEST_KEY)},
    {**PRODUCTION, "JWT_ISSUER": ISSUER, "JWT_AUDIENCE": AUDIENCE,
     "JWT_PUBLIC_KEY": public_pem(TEST_KEY)},
], ids=["testing", "debug-with-a-real-key", "production"])
def test_anywhere_but_debug_without_a_key_the_command_refuses(instance, config):
    result = dev_token(create_app(config), "--scope", "profile")
    assert result.exit_code == 2
    assert "dev-token works only in debug (FLASK_DEBUG=1)" in result.output
    assert not (instance / "dev-jwt-key.pem").exists()


def test_production_never_trusts_the_development_key(instance):
    token = dev_token(create_app({"DEBUG": True}), "--scope", "profile").output.strip()
    production = create_app({**PRODUCTION,
                             "JWT_ISSUER": "urn:{{ cookiecutter.__k8s_name }}:development",
                             "JWT_AUDIENCE": "urn:{{ cookiecutter.__k8s_name }}:development",
                             "JWT_PUBLIC_KEY": public_pem(TEST_KEY)})
    assert get_me(production, token).status_code == 401
