import pytest
{%- if cookiecutter.auth == "jwt" %}
from jwt_tokens import bearer
{%- endif %}

from {{ cookiecutter.__package }}.models import Item

pytestmark = pytest.mark.usefixtures("tables")
{%- if cookiecutter.auth == "jwt" %}


@pytest.fixture
def client(app):
    """A client whose every request carries a token that may change items."""
    client = app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = bearer("items:write")["Authorization"]
    return client


@pytest.fixture
def anonymous(app):
    return app.test_client()
{%- endif %}


def create(client, **fields):
    response = client.post("/items", json=fields)
    assert response.status_code == 201, response.json
    return response


def assert_invalid(response, **errors):
    assert response.status == "422 Unprocessable Content"  # RFC 9110's name, as in the title
    assert response.mimetype == "application/problem+json"
    assert response.json["errors"] == errors
    return response.json


def test_create_returns_the_item_and_its_location(client):
    response = create(client, name="kettle", description="boils water")
    item = response.json
    assert (item["name"], item["description"]) == ("kettle", "boils water")
    assert set(item) == set(Item.__table__.columns.keys())  # every field, from the model
    assert response.headers["Location"] == f"/items/{item['id']}"


def test_description_defaults_to_empty(client):
    assert create(client, name="spoon").json["description"] == ""


def test_read_returns_what_was_created(client):
    created = create(client, name="cup").json
    response = client.get(f"/items/{created['id']}")
    assert response.status_code == 200
    assert response.json == created


def test_missing_item_is_404_problem(client):
    response = client.get("/items/999")
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"
    assert response.json["detail"] == "item 999 does not exist"


@pytest.mark.parametrize("method", ["get", "patch", "delete"])
@pytest.mark.parametrize("item_id", [2**31, 2**63, 10**40])
def test_an_id_no_column_can_hold_is_404_problem(client, method, item_id):
    response = getattr(client, method)(f"/items/{item_id}", json={"name": "x"})
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"


def test_update_changes_only_the_given_fields(client):
    created = create(client, name="pot", description="old").json
    response = client.patch(f"/items/{created['id']}", json={"description": "new"})
    assert response.status_code == 200
    assert response.json == {**created, "description": "new"}
    assert client.get(f"/items/{created['id']}").json["description"] == "new"


def test_update_of_missing_item_is_404(client):
    assert client.patch("/items/999", json={"name": "x"}).status_code == 404


def test_delete_removes_the_item(client):
    created = create(client, name="plate").json
    response = client.delete(f"/items/{created['id']}")
    assert response.status_code == 204
    assert response.get_data() == b"" and "Content-Type" not in response.headers
    assert client.get(f"/items/{created['id']}").status_code == 404
    assert client.delete(f"/items/{created['id']}").status_code == 404


@pytest.mark.parametrize("body, errors", [
    ({}, {"name": "is required"}),
    ({"name": "   "}, {"name": "must not be blank"}),
    ({"name": 7}, {"name": "must be a string"}),
    ({"name": "x" * 101}, {"name": "must be at most 100 characters long"}),
    ({"name": "ok", "description": None}, {"description": "must be a string"}),
    ({"name": "ok", "description": "x" * 1001},
     {"description": "must be at most 1000 characters long"}),
    ({"name": "nul\x00"}, {"name": "must not contain NUL characters"}),
    ({"name": "ok", "colour": "red"}, {"colour": "is not a field"}),
    ([], {"body": "must be a JSON object"}),
    ("null", {"body": "must be a JSON object"}),
])
def test_invalid_bodies_are_422_problems_naming_each_field(client, body, errors):
    if isinstance(body, str):
        response = client.post("/items", data=body, content_type="application/json")
    else:
        response = client.post("/items", json=body)
    assert assert_invalid(response, **errors)["title"] == "Unprocessable Content"
    assert client.get("/items").json["total"] == 0


def test_invalid_update_changes_nothing(client):
    created = create(client, name="bowl").json
    assert_invalid(client.patch(f"/items/{created['id']}", json={"name": ""}),
                   name="must not be blank")
    assert client.get(f"/items/{created['id']}").json == created


def test_body_that_is_not_json_is_415_problem(client):
    response = client.post("/items", data="name=x", content_type="text/plain")
    assert response.status_code == 415
    assert response.mimetype == "application/problem+json"


def test_list_pages_through_items_in_creation_order(client):
    ids = [create(client, name=f"item {n}").json["id"] for n in range(5)]
    first = client.get("/items?per_page=2").json
    assert [item["id"] for item in first["items"]] == ids[:2]
    assert (first["page"], first["per_page"], first["total"], first["pages"]) == (1, 2, 5, 3)
    last = client.get("/items?per_page=2&page=3").json
    assert [item["id"] for item in last["items"]] == ids[4:]
    assert client.get("/items?per_page=2&page=4").json["items"] == []


def test_list_defaults_to_twenty_per_page(client):
    page = client.get("/items").json
    assert page == {"items": [], "page": 1, "per_page": 20, "total": 0, "pages": 0}


@pytest.mark.parametrize("query, errors", [
    ("page=0", {"page": "must be a whole number from 1 to 999999999"}),
    ("page=two", {"page": "must be a whole number from 1 to 999999999"}),
    ("page=1000000000", {"page": "must be a whole number from 1 to 999999999"}),
    ("per_page=101", {"per_page": "must be a whole number from 1 to 100"}),
    ("per_page=-1&page=", {"page": "must be a whole number from 1 to 999999999",
                           "per_page": "must be a whole number from 1 to 100"}),
])
def test_bad_pagination_is_422_problem(client, query, errors):
    assert_invalid(client.get(f"/items?{query}"), **errors)
{%- if cookiecutter.auth == "jwt" %}


WRITES = [("POST", "/items", {"name": "new"}), ("PATCH", "/items/{id}", {"name": "changed"}),
          ("DELETE", "/items/{id}", None)]


def test_reads_need_no_token(client, anonymous):
    created = create(client, name="mug").json
    assert anonymous.get("/items").json["items"] == [created]
    assert anonymous.get(f"/items/{created['id']}").json == created


@pytest.mark.parametrize("method, path, body", WRITES, ids=["create", "update", "delete"])
def test_writes_without_a_token_are_401_and_change_nothing(client, anonymous, method, path, body):
    created = create(client, name="mug").json
    response = anonymous.open(path.format(id=created["id"]), method=method, json=body)
    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert client.get("/items").json["items"] == [created]


@pytest.mark.parametrize("method, path, body", WRITES, ids=["create", "update", "delete"])
def test_writes_without_the_items_write_scope_are_403_and_change_nothing(
        client, anonymous, method, path, body):
    created = create(client, name="mug").json
    response = anonymous.open(path.format(id=created["id"]), method=method, json=body,
                              headers=bearer("items:read profile"))
    assert response.status_code == 403
    assert response.mimetype == "application/problem+json"
    assert 'scope="items:write"' in response.headers["WWW-Authenticate"]
    assert client.get("/items").json["items"] == [created]


def test_the_token_is_checked_before_the_item_or_the_body(anonymous):
    assert anonymous.patch("/items/999", json={"name": ""}).status_code == 401
    assert anonymous.delete("/items/999").status_code == 401
    assert anonymous.post("/items", data="x", content_type="text/plain").status_code == 401
{%- endif %}
