import pytest
from jwt_tokens import AUDIENCE, ISSUER, public_pem, rsa_key, sign

from {{ cookiecutter.__package }} import create_app

KEY = rsa_key()


@pytest.fixture
def client():
    return create_app({"TESTING": True, "JWT_ISSUER": ISSUER, "JWT_AUDIENCE": AUDIENCE,
                       "JWT_PUBLIC_KEY": public_pem(KEY)}).test_client()


def test_me_returns_the_subject_and_scopes(client):
    token = sign(KEY, sub="alice", scope="profile orders:read")
    response = client.get("/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    assert response.json == {"subject": "alice", "scopes": ["orders:read", "profile"]}


def test_me_without_a_token_is_401(client):
    response = client.get("/me")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"


def test_me_without_the_profile_scope_is_403(client):
    token = sign(KEY, scope="orders:read")
    assert client.get("/me", headers={"Authorization": f"Bearer {token}"}).status_code == 403
