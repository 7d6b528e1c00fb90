"""An example resource backed by the database: /items, with validation and pagination.
{%- if cookiecutter.auth == "jwt" %}

Anyone may read items; creating, changing and deleting them needs a bearer token with the scope
``items:write``. The token is checked first, so a refused request learns nothing about the items.
{% endif -%}
"""

import re

from flask import Blueprint, abort, current_app, request, url_for

{% if cookiecutter.auth == "jwt" -%}
from ..auth import require_scopes
{% endif -%}
from ..db import db
from ..models import Item
from ..validation import field_errors, invalid

bp = Blueprint("items", __name__, url_prefix="/items")

MAX_PER_PAGE = 100
# Large enough for any page, small enough that no database overflows computing its offset.
MAX_PAGE = 999_999_999
WHOLE_NUMBER = re.compile(r"[1-9][0-9]{0,8}")
# The largest id an INTEGER column holds (PostgreSQL's has 32 bits); beyond it no item exists.
MAX_ID = 2**31 - 1
{%- if cookiecutter.auth == "jwt" %}
WRITE_SCOPE = "items:write"
{%- endif %}


def find_or_404(item_id):
    if item_id > MAX_ID:  # the database would refuse to compare the column with it
        abort(404, f"item {item_id} does not exist")
    return db.get_or_404(Item, item_id, description=f"item {item_id} does not exist")


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
        return invalid({**page_error, **per_page_error}, "invalid pagination parameters")
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
    errors = field_errors(Item, body, partial=False)
    if errors:
        return invalid(errors, "the request body is not a valid item")
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
    errors = field_errors(Item, body, partial=True)
    if errors:
        return invalid(errors, "the request body is not a valid item")
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
    response = current_app.response_class(status=204)
    del response.headers["Content-Type"]  # no body, so no type (Flask would say text/html)
    return response
