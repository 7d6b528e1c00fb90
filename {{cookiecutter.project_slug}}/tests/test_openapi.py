import copy

import pytest
from contract import DOCUMENT, Contract, documented_operations, openapi_path, untried
from openapi_spec_validator import validate

from {{ cookiecutter.__package }} import __version__
{%- if cookiecutter.database == 'sqlalchemy' %}
from {{ cookiecutter.__package }}.models import Item
from {{ cookiecutter.__package }}.validation import required_on_create, writable_columns
{%- endif %}
from {{ cookiecutter.__package }}.views.openapi import load_document


@pytest.fixture
def document():
    return copy.deepcopy(load_document())


def served_operations(app):
    """(path in OpenAPI form, method) for every route; Flask answers HEAD and OPTIONS itself."""
    return {(openapi_path(rule), method) for rule in app.url_map.iter_rules()
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


def check(document, response):
    return Contract(document).mismatches("/healthz", "GET", response)


def test_a_response_that_matches_the_contract_passes(client, document):
    assert check(document, client.get("/healthz")) == []


def test_a_body_that_breaks_its_schema_is_reported_with_where(client, document):
    schema = document["paths"]["/healthz"]["get"]["responses"]["200"]["content"][
        "application/json"]["schema"]
    schema["properties"]["status"] = {"const": "alive"}
    [problem] = check(document, client.get("/healthz"))
    assert problem.startswith("GET /healthz answered 200, whose body does not match "
                              "#/paths/~1healthz/get/responses/200: 'alive' was expected")
    assert problem.endswith("at $.status")


def test_an_undocumented_status_is_reported_with_what_to_add(client, document):
    del document["paths"]["/healthz"]["get"]["responses"]["default"]
    document["paths"]["/healthz"]["get"]["responses"]["503"] = \
        document["paths"]["/healthz"]["get"]["responses"].pop("200")
    assert check(document, client.get("/healthz")) == [
        f"GET /healthz answered 200, which is not documented: add '200' under its responses "
        f"in {DOCUMENT}"]


def test_an_undocumented_media_type_or_a_missing_header_is_reported(client, document):
    ok = document["paths"]["/healthz"]["get"]["responses"]["200"]
    ok["content"] = {"text/plain": {}}
    ok["headers"] = {"X-Version": {"required": True, "schema": {"type": "string"}}}
    assert check(document, client.get("/healthz")) == [
        "GET /healthz answered 200 without the required header X-Version",
        "GET /healthz answered 200 as application/json, but "
        "#/paths/~1healthz/get/responses/200 documents text/plain",
    ]


def test_a_body_where_the_contract_documents_none_is_reported(client, document):
    del document["paths"]["/healthz"]["get"]["responses"]["200"]["content"]
    assert check(document, client.get("/healthz")) == [
        "GET /healthz answered 200 with a body, but #/paths/~1healthz/get/responses/200 "
        "documents none"]


def test_the_tests_client_checks_every_documented_response(app):
    app.view_functions["health.healthz"] = lambda: {"status": "sleepy"}
    with pytest.raises(AssertionError, match="GET /healthz answered 200, whose body does not"):
        app.test_client().get("/healthz")


def test_an_operation_or_a_status_no_test_tried_is_named(document):
    document["paths"] = {path: document["paths"][path] for path in ("/healthz", "/readyz")}
    assert untried(document, {("/healthz", "GET", 200), ("/readyz", "GET", 200)}) == [
        "GET /readyz: no test got a 503 from it"]
    assert untried(document, {("/healthz", "GET", 200)}) == [
        "GET /readyz: no test sent it a request"]
{%- if cookiecutter.database == 'sqlalchemy' %}


JSON_TYPES = {"String": "string", "Integer": "integer", "BigInteger": "integer",
              "SmallInteger": "integer", "Boolean": "boolean"}


def merged(document, name):
    """The properties and required names of a schema, its allOf parts merged."""
    schema = document["components"]["schemas"][name]
    properties, required = dict(schema.get("properties", {})), set(schema.get("required", []))
    for part in schema.get("allOf", []):
        if "$ref" in part:
            part = merged(document, part["$ref"].rsplit("/", 1)[1])
        properties.update(part.get("properties", {}))
        required |= set(part.get("required", []))
    return {"properties": properties, "required": required}


def test_the_contract_declares_exactly_the_columns_of_the_model(document):
    columns = writable_columns(Item)
    fields = merged(document, "ItemFields")["properties"]
    assert set(fields) == set(columns), (
        f"models.Item writes {sorted(columns)}, ItemFields in {DOCUMENT} declares "
        f"{sorted(fields)}: declare each column in both")
    for name, column in columns.items():
        declared = fields[name]
        assert declared["type"] == JSON_TYPES[type(column.type).__name__], name
        assert declared.get("maxLength") == getattr(column.type, "length", None), name
    assert set(merged(document, "Item")["properties"]) == set(Item.__table__.columns.keys())
    assert merged(document, "NewItem")["required"] == {
        name for name, column in columns.items() if required_on_create(column)}
    assert merged(document, "ItemChanges")["required"] == set()
{%- endif %}
