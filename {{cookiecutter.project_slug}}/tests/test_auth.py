import time

import pytest
from flask import g
from jwt_tokens import (AUDIENCE, ISSUER, JWKSServer, claims, ec_key, public_jwk, public_pem,
                        rsa_key, sign, tampered, unsigned)
from werkzeug.datastructures import WWWAuthenticate

from {{ cookiecutter.__package }} import create_app
from {{ cookiecutter.__package }}.auth import require_scopes
from {{ cookiecutter.__package }}.config import ConfigError

RSA_KEY = rsa_key()
EC_KEY = ec_key()
{%- if cookiecutter.use_rate_limits %}
# What production requires besides the JWT settings: a rate limit storage (none listens on port
# 1, so these apps count in memory).
PRODUCTION = {"RATELIMIT_STORAGE_URI": "redis://127.0.0.1:1/0"}
{%- else %}
PRODUCTION = {}  # what production requires besides the JWT settings
{%- endif %}


def make_app(**config):
    app = create_app({"TESTING": True, "JWT_ISSUER": ISSUER, "JWT_AUDIENCE": AUDIENCE, **config})

    @app.get("/test/guarded")
    @require_scopes("orders:read", "orders:write")
    def guarded():
        return {"subject": g.jwt_claims["sub"]}

    return app


@pytest.fixture
def client():
    return make_app(JWT_PUBLIC_KEY=public_pem(RSA_KEY)).test_client()


def get(client, token, path="/test/guarded"):
    return client.get(path, headers={"Authorization": f"Bearer {token}"})


def assert_refused(response, error="invalid_token"):
    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"
    assert response.json["status"] == 401
    assert response.json["request_id"] == response.headers["X-Request-ID"]
    # RFC 6750: `Bearer` then its parameters, as a standard parser reads them.
    challenge = WWWAuthenticate.from_header(response.headers["WWW-Authenticate"])
    assert challenge.type == "bearer"
    if error:
        assert challenge.parameters["error"] == error
        assert challenge.parameters["error_description"]
    return response.json["detail"]


SCOPES = "orders:read orders:write"


def test_valid_rs256_token_passes(client):
    response = get(client, sign(RSA_KEY, scope=SCOPES))
    assert response.status_code == 200
    assert response.json == {"subject": "user-42"}


def test_valid_es256_token_passes_with_an_ec_key():
    client = make_app(JWT_PUBLIC_KEY=public_pem(EC_KEY)).test_client()
    assert get(client, sign(EC_KEY, "ES256", scope=SCOPES)).status_code == 200


def test_clock_skew_within_the_leeway_is_accepted(client):
    token = sign(RSA_KEY, scope=SCOPES, exp=int(time.time()) - 5)
    assert get(client, token).status_code == 200


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Basic dXNlcjpwYXNz"},
                                     {"Authorization": "Bearer"}, {"Authorization": "Bearer  "},
                                     {"Authorization": "Token abc"}],
                         ids=["missing", "basic", "bearer-without-token", "blank", "other-scheme"])
def test_missing_token_is_401_with_a_bare_challenge(client, headers):
    response = client.get("/test/guarded", headers=headers)
    assert_refused(response, error=None)
    assert response.headers["WWW-Authenticate"] == "Bearer"


def test_expired_token_is_401(client):
    token = sign(RSA_KEY, scope=SCOPES, exp=int(time.time()) - 120)
    assert "expired" in assert_refused(get(client, token)).lower()


def test_token_not_yet_valid_is_401(client):
    token = sign(RSA_KEY, scope=SCOPES, nbf=int(time.time()) + 120)
    assert "not yet valid" in assert_refused(get(client, token)).lower()


def test_wrong_audience_is_401(client):
    token = sign(RSA_KEY, scope=SCOPES, aud="https://another-api.example.com")
    assert "audience" in assert_refused(get(client, token)).lower()


def test_wrong_issuer_is_401(client):
    token = sign(RSA_KEY, scope=SCOPES, iss="https://evil.example.com/")
    assert "issuer" in assert_refused(get(client, token)).lower()


@pytest.mark.parametrize("claim", ["exp", "iss", "aud", "sub"])
def test_token_without_a_required_claim_is_401(client, claim):
    token = sign(RSA_KEY, scope=SCOPES, **{claim: None})
    assert assert_refused(get(client, token)) == f'Token is missing the "{claim}" claim'  # README


def test_alg_none_is_401(client):
    token = unsigned({"alg": "none", "typ": "JWT"}, claims(scope=SCOPES))
    assert_refused(get(client, token))


def test_hs256_signed_with_the_public_key_is_401(client):
    token = unsigned({"alg": "HS256", "typ": "JWT"}, claims(scope=SCOPES),
                     secret=public_pem(RSA_KEY).encode())
    assert "alg" in assert_refused(get(client, token))


def test_algorithm_outside_the_allow_list_is_401(client):
    assert_refused(get(client, sign(RSA_KEY, "RS384", scope=SCOPES)))


def test_tampered_payload_is_401(client):
    token = tampered(sign(RSA_KEY, scope="orders:read"), scope=SCOPES)
    assert "Signature verification failed" in assert_refused(get(client, token))


def test_token_signed_by_another_key_is_401(client):
    assert_refused(get(client, sign(rsa_key(), scope=SCOPES)))


def test_token_whose_algorithm_does_not_fit_the_key_is_401(client):
    detail = assert_refused(get(client, sign(EC_KEY, "ES256", scope=SCOPES)))
    assert "does not fit" in detail


@pytest.mark.parametrize("token", ["not-a-jwt", "a.b.c", "eyJhbGciOiJSUzI1NiJ9..", "\u00e9t\u00e9"])
def test_malformed_token_is_401(client, token):
    response = get(client, token.encode().decode("latin-1"))
    detail = assert_refused(response)
    assert "\n" not in response.headers["WWW-Authenticate"]
    assert "codec" not in detail and "Invalid header string" not in detail  # no decoder's words


def test_a_token_is_not_a_well_formed_jwt_says_so(client):
    assert assert_refused(get(client, "abc.def.ghi")) == (
        "the token is not a well-formed JWT (header.payload.signature, base64url JSON)")


@pytest.mark.parametrize("subject", ["", "  "])
def test_a_token_whose_subject_is_blank_is_401(client, subject):
    detail = assert_refused(get(client, sign(RSA_KEY, scope=SCOPES, sub=subject)))
    assert detail == 'the token\'s "sub" claim names no subject'


def test_a_token_whose_subject_is_not_a_string_is_401(client):
    assert assert_refused(get(client, sign(RSA_KEY, scope=SCOPES, sub=42)))


def test_valid_token_without_every_scope_is_403(client):
    response = get(client, sign(RSA_KEY, scope="orders:read profile"))
    assert response.status_code == 403
    assert response.mimetype == "application/problem+json"
    assert "orders:write" in response.json["detail"]
    assert response.headers["WWW-Authenticate"] == (
        'Bearer error="insufficient_scope", scope="orders:read orders:write"')


@pytest.mark.parametrize("scope_claims, status", [
    ({"scope": None, "scp": ["orders:read", "orders:write", 7]}, 200),
    ({"scope": None, "scp": ["orders:read"]}, 403),
    ({"scope": 42}, 403),
], ids=["scp-list", "scp-list-missing-one", "not-a-string-or-list"])
def test_scopes_come_from_scope_or_scp(client, scope_claims, status):
    assert get(client, sign(RSA_KEY, **scope_claims)).status_code == status


def test_probes_stay_open(client):
    assert client.get("/healthz").status_code == 200
    assert client.get("/readyz").status_code == 200


def test_without_a_key_every_token_is_refused_naming_the_settings():
    client = make_app().test_client()
    assert "JWT_PUBLIC_KEY" in assert_refused(get(client, sign(RSA_KEY, scope=SCOPES)))


@pytest.fixture
def jwks():
    with JWKSServer([public_jwk(RSA_KEY, "rsa-1"), public_jwk(EC_KEY, "ec-1")]) as server:
        yield server


def test_jwks_keys_verify_tokens_and_are_fetched_once(jwks):
    client = make_app(JWT_JWKS_URL=jwks.url).test_client()
    assert get(client, sign(RSA_KEY, kid="rsa-1", scope=SCOPES)).status_code == 200
    assert get(client, sign(EC_KEY, "ES256", kid="ec-1", scope=SCOPES)).status_code == 200
    assert get(client, sign(RSA_KEY, kid="rsa-1", scope=SCOPES)).status_code == 200
    assert jwks.fetches == 1


def test_jwks_unknown_kid_is_401(jwks):
    client = make_app(JWT_JWKS_URL=jwks.url).test_client()
    assert "does not fit" in assert_refused(get(client, sign(rsa_key(), kid="rsa-2", scope=SCOPES)))


def test_jwks_key_bound_to_another_algorithm_is_401(jwks):
    client = make_app(JWT_JWKS_URL=jwks.url).test_client()
    token = sign(EC_KEY, "ES256", kid="rsa-1", scope=SCOPES)
    assert "does not match" in assert_refused(get(client, token))


def test_unreachable_jwks_is_503_not_401(jwks):
    url = jwks.url
    jwks.__exit__(None, None, None)
    client = make_app(JWT_JWKS_URL=url).test_client()
    response = get(client, sign(RSA_KEY, kid="rsa-1", scope=SCOPES))
    assert response.status_code == 503
    assert response.mimetype == "application/problem+json"


def test_an_unreachable_jwks_is_one_log_line(jwks, caplog):
    url = jwks.url
    jwks.__exit__(None, None, None)
    get(make_app(JWT_JWKS_URL=url).test_client(), sign(RSA_KEY, kid="rsa-1", scope=SCOPES))
    [record] = [r for r in caplog.records if "JWKS" in r.getMessage()]
    assert record.exc_info is None and "\n" not in record.getMessage()


@pytest.mark.parametrize("config, message", [
    ({"JWT_ALGORITHMS": ["RS256", "HS256"]}, "public-key algorithms"),
    ({"JWT_ALGORITHMS": ["none"]}, "got none"),
    ({"JWT_ALGORITHMS": []}, "an empty list"),
    ({"JWT_PUBLIC_KEY": "not a key"}, "JWT_PUBLIC_KEY is not a PEM public key"),
    ({"JWT_PUBLIC_KEY": public_pem(RSA_KEY), "JWT_JWKS_URL": "https://issuer.example.com/jwks"},
     "not both"),
], ids=["hs256", "none", "empty", "bad-pem", "two-key-sources"])
def test_unsafe_settings_stop_startup(config, message):
    with pytest.raises(ConfigError, match=message):
        make_app(**config)


@pytest.mark.parametrize("missing",
                         ["JWT_ISSUER", "JWT_AUDIENCE", "JWT_PUBLIC_KEY or JWT_JWKS_URL"])
def test_production_requires_issuer_audience_and_a_key_source(missing):
    settings = {**PRODUCTION, "JWT_ISSUER": ISSUER, "JWT_AUDIENCE": AUDIENCE,
                "JWT_JWKS_URL": "https://issuer.example.com/jwks"}
    for name in missing.split(" or "):
        settings.pop(name, None)
    with pytest.raises(ConfigError) as stopped:
        create_app(settings)
    message = str(stopped.value)
    assert message.startswith(f"configuration error: {missing} is required in production: set")
    assert f"FLASK_{missing.split()[0]}" in message
    assert "\n" not in message


def test_production_starts_with_a_public_key():
    app = create_app({**PRODUCTION, "JWT_ISSUER": ISSUER, "JWT_AUDIENCE": AUDIENCE,
                      "JWT_PUBLIC_KEY": public_pem(EC_KEY)})
    assert not app.debug and not app.testing
