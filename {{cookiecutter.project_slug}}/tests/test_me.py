from jwt_tokens import bearer, rsa_key


def test_me_returns_the_subject_and_scopes(client):
    response = client.get("/me", headers=bearer("profile orders:read", sub="alice"))
    assert response.status_code == 200
    assert response.json == {"subject": "alice", "scopes": ["orders:read", "profile"]}


def test_me_without_a_token_is_401(client):
    response = client.get("/me")
    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"
    assert response.headers["WWW-Authenticate"] == "Bearer"


def test_me_with_a_token_from_an_untrusted_key_is_401(client):
    response = client.get("/me", headers=bearer("profile", rsa_key()))
    assert response.status_code == 401
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]


def test_me_without_the_profile_scope_is_403(client):
    response = client.get("/me", headers=bearer("orders:read"))
    assert response.status_code == 403
    assert response.mimetype == "application/problem+json"
    assert response.headers["WWW-Authenticate"] == (
        'Bearer error="insufficient_scope", scope="profile"')
