import copy
import json
import re

import pytest
{%- if cookiecutter.auth == "jwt" %}
from jwt_tokens import bearer
{%- endif %}
from openapi_core import Config, OpenAPI
from openapi_core.contrib.werkzeug import WerkzeugOpenAPIRequest, WerkzeugOpenAPIResponse
from openapi_spec_validator import validate
from werkzeug.test import EnvironBuilder

from {{ cookiecutter.__package }} import __version__
from {{ cookiecutter.__package }}.readiness import add_readiness_check
from {{ cookiecutter.__package }}.views.openapi import load_document

DOCUMENT = "src/{{ cookiecutter.__package }}/openapi.yaml"
HTTP_METHODS = {"get", "put", "post", "delete", "patch", "options", "head", "trace"}
CONVERTER = re.compile(r"<(?:[^<>:]+:)?([^<>]+)>")


def not_ready(client):
    add_readiness_check(client.application, "example", lambda: False)
{%- if cookiecutter.auth == "jwt" %}


def with_token(scope):
    """A setup step: the request carries a valid bearer token that grants ``scope``."""
    def step(client):
        client.environ_base["HTTP_AUTHORIZATION"] = bearer(scope)["Authorization"]
    return step
{%- endif %}


# A real request for every documented operation and every documented status, sent in this order,
# each by a new test client after its optional setup steps (a step gets that client); every
# response must match the document. A new operation needs a request here.
EXAMPLES = [
    ("GET", "/", None),
    ("GET", "/healthz", None),
    ("GET", "/readyz", None),
{%- if cookiecutter.auth == "jwt" %}
    ("GET", "/me", None, with_token("profile")),
    ("GET", "/me", None),
    ("GET", "/me", None, with_token("orders:read")),
{%- endif %}
{%- if cookiecutter.use_metrics %}
    ("GET", "/metrics", None),
{%- endif %}
    ("GET", "/openapi.json", None),
{%- if cookiecutter.database == 'sqlalchemy' %}
{%- set write = ', with_token("items:write")' if cookiecutter.auth == "jwt" else "" %}
    ("POST", "/items", {"name": "kettle", "description": "boils water"}{{ write }}),
    ("POST", "/items", {"name": ""}{{ write }}),
{%- if cookiecutter.auth == "jwt" %}
    ("POST", "/items", {"name": "kettle"}),
    ("POST", "/items", {"name": "kettle"}, with_token("orders:read")),
{%- endif %}
    ("GET", "/items?page=1&per_page=10", None),
    ("GET", "/items?per_page=1000", None),
    ("GET", "/items/1", None),
    ("PATCH", "/items/1", {"description": "boils water fast"}{{ write }}),
    ("PATCH", "/items/1", {"name": 42}{{ write }}),
{%- if cookiecutter.auth == "jwt" %}
    ("PATCH", "/items/1", {"name": "kept"}),
    ("PATCH", "/items/1", {"name": "kept"}, with_token("orders:read")),
    ("DELETE", "/items/1", None),
    ("DELETE", "/items/1", None, with_token("orders:read")),
{%- endif %}
    ("DELETE", "/items/1", None{{ write }}),
    ("GET", "/items/1", None),
    ("PATCH", "/items/1", {"name": "gone"}{{ write }}),
    ("DELETE", "/items/1", None{{ write }}),
{%- endif %}
    ("GET", "/readyz", None, not_ready),
]


@pytest.fixture
def document():
    return copy.deepcopy(load_document())
{%- if cookiecutter.database == 'sqlalchemy' %}


@pytest.fixture(autouse=True)
def _tables(tables):
    """The examples create, read and delete items."""
{%- endif %}


def documented_operations(document):
    return {(path, method.upper()) for path, item in document["paths"].items()
            for method in item if method in HTTP_METHODS}


def served_operations(app):
    """(path in OpenAPI form, method) for every route; Flask answers HEAD and OPTIONS itself."""
    return {(CONVERTER.sub(r"{\1}", rule.rule), method) for rule in app.url_map.iter_rules()
            for method in rule.methods - {"HEAD", "OPTIONS"}}


def contract_mismatches(app, document):
    served, documented = served_operations(app), documented_operations(document)
    return [
        f"{method} {path} is served but not documented: add `{method.lower()}:` under "
        f"`{path}:` in the paths of {DOCUMENT}"
        for path, method in sorted(served - documented)
    ] + [
        f"{method} {path} is documented but not served: add the route to a blueprint "
        f"or remove `{method.lower()}:` under `{path}:` from {DOCUMENT}"
        for path, method in sorted(documented - served)
    ]


def test_document_is_valid_openapi_3_1(document):
    validate(document)
    assert document["openapi"].startswith("3.1.")


def test_document_is_served_as_json_with_the_package_version(client, document):
    response = client.get("/openapi.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.json == document
    assert response.json["info"]["version"] == __version__


def test_every_route_is_documented_and_every_documented_operation_is_served(app, document):
    mismatches = contract_mismatches(app, document)
    assert not mismatches, "\n".join(mismatches)


def test_a_route_without_a_contract_is_reported_with_what_to_add(app, document):
    app.add_url_rule("/things/<int:thing_id>", "thing", lambda thing_id: {}, methods=["PUT"])
    del document["paths"]["/healthz"]
    assert contract_mismatches(app, document) == [
        f"GET /healthz is served but not documented: add `get:` under `/healthz:` in the paths "
        f"of {DOCUMENT}",
        "PUT /things/{thing_id} is served but not documented: add `put:` under "
        "`/things/{thing_id}:` in the paths of " + DOCUMENT,
    ]


def test_a_documented_operation_without_a_route_is_reported(app, document):
    document["paths"]["/healthz"]["post"] = {"responses": {}}
    assert contract_mismatches(app, document) == [
        f"POST /healthz is documented but not served: add the route to a blueprint "
        f"or remove `post:` under `/healthz:` from {DOCUMENT}",
    ]


def operation_of(app, method, url):
    rule, _ = app.url_map.bind("localhost").match(url.split("?")[0], method, return_rule=True)
    return CONVERTER.sub(r"{\1}", rule.rule), method


def contract(document):
    """openapi-core, told that problem+json bodies are JSON."""
    config = Config(extra_media_type_deserializers={"application/problem+json": json.loads})
    return OpenAPI.from_dict(document, config=config)


def assert_matches_contract(openapi, method, url, body, response):
    """The app has read the request's body: validate against a copy of the request."""
    request = EnvironBuilder(url, method=method, json=body).get_request()
    openapi.validate_response(WerkzeugOpenAPIRequest(request), WerkzeugOpenAPIResponse(response))


def test_real_responses_of_every_documented_operation_match_it(app, document):
    openapi = contract(document)
    statuses = {}
    for method, url, body, *setup in EXAMPLES:
        client = app.test_client()
        for step in setup:
            step(client)
        response = client.open(url, method=method, json=body)
        assert_matches_contract(openapi, method, url, body, response)
        statuses.setdefault(operation_of(app, method, url), set()).add(response.status_code)
    untried = documented_operations(document) - set(statuses)
    assert not untried, f"add a request for each of {sorted(untried)} to EXAMPLES"
    for (path, method), seen in statuses.items():
        documented = {int(code) for code in document["paths"][path][method.lower()]["responses"]
                      if code != "default"}
        assert documented <= seen, f"{method} {path}: no example answers {documented - seen}"
