import pytest
from sqlalchemy import BigInteger, Boolean, Float, Integer, SmallInteger, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from {{ cookiecutter.__package }}.validation import field_errors


class Base(DeclarativeBase):
    """Models of these tests only, outside the service's metadata and migrations."""


class Thing(Base):
    __tablename__ = "things"

    id: Mapped[int] = mapped_column(primary_key=True)
    label: Mapped[str] = mapped_column(String(5), info={"blank": False})
    note: Mapped[str | None] = mapped_column(String(5))
    count: Mapped[int] = mapped_column(Integer, default=0)
    small: Mapped[int] = mapped_column(SmallInteger, default=0)
    big: Mapped[int] = mapped_column(BigInteger, default=0)
    done: Mapped[bool] = mapped_column(Boolean, default=False)


class Odd(Base):
    __tablename__ = "odd"

    id: Mapped[int] = mapped_column(primary_key=True)
    ratio: Mapped[float] = mapped_column(Float, default=0.0)


@pytest.mark.parametrize("body, errors", [
    ({"label": "ok"}, {}),
    ({"label": "ok", "note": None, "count": -2**31, "small": 2**15 - 1, "big": 2**63 - 1,
      "done": True}, {}),
    ({}, {"label": "is required"}),
    ({"label": None}, {"label": "must be a string"}),
    ({"label": " "}, {"label": "must not be blank"}),
    ({"label": "toolong"}, {"label": "must be at most 5 characters long"}),
    ({"label": "a\x00"}, {"label": "must not contain NUL characters"}),
    ({"label": "ok", "note": " "}, {}),
    ({"label": "ok", "count": 2**31}, {"count": "must be a whole number from -2147483648 to "
                                                "2147483647"}),
    ({"label": "ok", "count": True}, {"count": "must be a whole number from -2147483648 to "
                                               "2147483647"}),
    ({"label": "ok", "small": 2**15}, {"small": "must be a whole number from -32768 to 32767"}),
    ({"label": "ok", "big": 1.5}, {"big": "must be a whole number from -9223372036854775808 to "
                                          "9223372036854775807"}),
    ({"label": "ok", "done": 1}, {"done": "must be true or false"}),
    ({"label": "ok", "id": 3}, {"id": "is not a field"}),
    ([], {"body": "must be a JSON object"}),
])
def test_a_body_is_checked_against_the_columns(body, errors):
    assert field_errors(Thing, body, partial=False) == errors


def test_a_partial_body_needs_no_field():
    assert field_errors(Thing, {}, partial=True) == {}
    assert field_errors(Thing, {"label": ""}, partial=True) == {"label": "must not be blank"}


def test_a_column_type_without_a_rule_says_where_to_add_one():
    with pytest.raises(TypeError, match="cannot check a Float column .* add its rule"):
        field_errors(Odd, {"ratio": 1.5}, partial=False)
