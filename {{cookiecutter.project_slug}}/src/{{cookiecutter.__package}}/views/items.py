"""An example resource backed by the database: /items, with validation and pagination.
{%- if cookiecutter.auth == "jwt" %}

Anyone may read items; creating, changing and deleting them needs a bearer token with the scope
``items:write``. The token is checked first, so a refused request learns nothing about the items.
{% endif -%}
"""

import re

from flask import Blueprint, abort, request, url_for

{% if cookiecutter.auth == "jwt" -%}
from ..auth import require_scopes
{% endif -%}
from ..db import db
from ..errors import problem
from ..models import DESCRIPTION_LENGTH, NAME_LENGTH, Item

bp = Blueprint("items", __name__, url_prefix="/items")

MAX_PER_PAGE = 100
# Large enough for any page, small enough that no database overflows computing its offset.
MAX_PAGE = 999_999_999
WHOLE_NUMBER = re.compile(r"[1-9][0-9]{0,8}")
FIELDS = {"name": NAME_LENGTH, "description": DESCRIPTION_LENGTH}
# The largest id an INTEGER column holds (PostgreSQL's has 32 bits); beyond it no item exists.
MAX_ID = 2**31 - 1
{%- if cookiecutter.auth == "jwt" %}
WRITE_SCOPE = "items:write"
{%- endif %}


def field_errors(body, partial):
    """What is wrong with a JSON body for an item, as {field: message}; empty when it is valid."""
    if not isinstance(body, dict):
        return {"body": "must be a JSON object"}
    errors = {name: "is not a field of an item" for name in body if name not in FIELDS}
    if not partial and "name" not in body:
        errors["name"] = "is required"
    for name, limit in FIELDS.items():
        value = body.get(name, "")
        if not isinstance(value, str):
            errors[name] = "must be a string"
        elif len(value) > limit:
            errors[name] = f"must be at most {limit} characters long"
        elif "\x00" in value:
            errors[name] = "must not contain NUL characters"  # PostgreSQL cannot store them
        elif name == "name" and name in body and not value.strip():
            errors[name] = "must not be blank"
    return errors


def find_or_404(item_id):
    if item_id > MAX_ID:  # the database would refuse to compare the column with it
        abort(404, f"item {item_id} does not exist")
    return db.get_or_404(Item, item_id, description=f"item {item_id} does not exist")


def invalid(errors):
    return problem(422, "Unprocessable Content", "the request body is not a valid item",
                   errors=errors)


def positive_int(name, default, maximum):
    value = request.args.get(name, str(default))
    if not WHOLE_NUMBER.fullmatch(value) or int(value) > maximum:
        return None, {name: f"must be a whole number from 1 to {maximum}"}
    return int(value), {}


@bp.get("")
def list_items():
    page, page_error = positive_int("page", 1, MAX_PAGE)
    per_page, per_page_error = positive_int("per_page", 20, MAX_PER_PAGE)
    if page_error or per_page_error:
        return problem(422, "Unprocessable Content", "invalid pagination parameters",
                       errors={**page_error, **per_page_error})
    result = db.paginate(db.select(Item).order_by(Item.id), page=page, per_page=per_page,
                         error_out=False)
    return {"items": [item.to_dict() for item in result.items], "page": page,
            "per_page": per_page, "total": result.total, "pages": result.pages}


@bp.post("")
{%- if cookiecutter.auth == "jwt" %}
@require_scopes(WRITE_SCOPE)
{%- endif %}
def create_item():
    body = request.get_json()
    errors = field_errors(body, partial=False)
    if errors:
        return invalid(errors)
    item = Item(**body)
    db.session.add(item)
    db.session.commit()
    return item.to_dict(), 201, {"Location": url_for(".get_item", item_id=item.id)}


@bp.get("/<int:item_id>")
def get_item(item_id):
    return find_or_404(item_id).to_dict()


@bp.patch("/<int:item_id>")
{%- if cookiecutter.auth == "jwt" %}
@require_scopes(WRITE_SCOPE)
{%- endif %}
def update_item(item_id):
    item = find_or_404(item_id)
    body = request.get_json()
    errors = field_errors(body, partial=True)
    if errors:
        return invalid(errors)
    for name, value in body.items():
        setattr(item, name, value)
    db.session.commit()
    return item.to_dict()


@bp.delete("/<int:item_id>")
{%- if cookiecutter.auth == "jwt" %}
@require_scopes(WRITE_SCOPE)
{%- endif %}
def delete_item(item_id):
    item = find_or_404(item_id)
    db.session.delete(item)
    db.session.commit()
    return "", 204
