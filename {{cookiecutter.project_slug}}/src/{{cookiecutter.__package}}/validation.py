"""Request bodies checked against a model's columns: 422 problem+json naming each bad field.

A body may hold the columns that are not the primary key; on create, the columns without a
default are required. A String column takes a string of at most its length, without NUL
characters (PostgreSQL cannot store them) and, with ``info={"blank": False}``, not blank;
an Integer column a whole number it can hold; a Boolean one true or false; a nullable column
also null.
"""

from sqlalchemy import BigInteger, Boolean, Integer, SmallInteger, String

from .errors import problem


# Integer types, most specific first, and the bound of what the column holds (PostgreSQL's sizes).
INTEGER_BOUNDS = ((SmallInteger, 2**15), (BigInteger, 2**63), (Integer, 2**31))


def writable_columns(model):
    return {column.key: column for column in model.__table__.columns if not column.primary_key}


def required_on_create(column):
    return not column.nullable and column.default is None and column.server_default is None


def field_errors(model, body, partial):
    """What is wrong with a JSON body for ``model``, as {field: message}; empty when valid."""
    if not isinstance(body, dict):
        return {"body": "must be a JSON object"}
    columns = writable_columns(model)
    errors = {name: "is not a field" for name in body if name not in columns}
    for name, column in columns.items():
        if name in body:
            error = value_error(column, body[name])
            if error:
                errors[name] = error
        elif not partial and required_on_create(column):
            errors[name] = "is required"
    return errors


def value_error(column, value):
    if value is None and column.nullable:
        return None
    kind = column.type
    if isinstance(kind, String):
        if not isinstance(value, str):
            return "must be a string"
        if kind.length is not None and len(value) > kind.length:
            return f"must be at most {kind.length} characters long"
        if "\x00" in value:
            return "must not contain NUL characters"
        if column.info.get("blank") is False and not value.strip():
            return "must not be blank"
        return None
    if isinstance(kind, Boolean):
        return None if isinstance(value, bool) else "must be true or false"
    if isinstance(kind, Integer):
        bound = next(bound for integer, bound in INTEGER_BOUNDS if isinstance(kind, integer))
        if isinstance(value, int) and not isinstance(value, bool) and -bound <= value < bound:
            return None
        return f"must be a whole number from {-bound} to {bound - 1}"
    raise TypeError(f"validation.py cannot check a {type(kind).__name__} column ({column}): "
                    "add its rule to value_error")


def invalid(errors, detail="the request body is not valid"):
    return problem(422, "Unprocessable Content", detail, errors=errors)
