from {{ cookiecutter.__package }} import create_app

ORIGIN = "https://app.example.com"
PREFLIGHT = {"Origin": ORIGIN, "Access-Control-Request-Method": "GET",
             "Access-Control-Request-Headers": "Authorization"}


def test_no_origin_is_allowed_by_default(client):
    response = client.options("/", headers=PREFLIGHT)
    assert "Access-Control-Allow-Origin" not in response.headers
    assert "Access-Control-Allow-Origin" not in client.get("/", headers={"Origin": ORIGIN}).headers
    assert client.application.config["CORS_ORIGINS"] == []


def test_preflight_from_an_allowed_origin_is_answered():
    client = create_app({"TESTING": True, "CORS_ORIGINS": [ORIGIN]}).test_client()
    response = client.options("/", headers=PREFLIGHT)
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert "GET" in response.headers["Access-Control-Allow-Methods"]
    assert "Authorization" in response.headers["Access-Control-Allow-Headers"]
    simple = client.get("/", headers={"Origin": ORIGIN})
    assert simple.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert "X-Request-ID" in simple.headers["Access-Control-Expose-Headers"]


def test_preflight_from_another_origin_is_refused():
    client = create_app({"TESTING": True, "CORS_ORIGINS": [ORIGIN]}).test_client()
    headers = {**PREFLIGHT, "Origin": "https://evil.example.com"}
    response = client.options("/", headers=headers)
    assert "Access-Control-Allow-Origin" not in response.headers
    assert "Access-Control-Allow-Methods" not in response.headers
{%- if cookiecutter.auth == "jwt" %}


def test_preflight_needs_no_token_on_a_guarded_route():
    client = create_app({"TESTING": True, "CORS_ORIGINS": [ORIGIN]}).test_client()
    response = client.options("/me", headers=PREFLIGHT)
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == ORIGIN
{%- endif %}
