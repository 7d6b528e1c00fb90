"""The tables of the service; change them, then `flask db migrate -m "what changed"`.

A column is the one place where a field of the service is declared: request bodies are checked
against it (validation.py) and responses are made from it (``to_dict``).
"""

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from .db import db


class Model(db.Model):
    __abstract__ = True

    def to_dict(self):
        return {column.key: getattr(self, column.key) for column in self.__table__.columns}


class Item(Model):
    __tablename__ = "items"

    id: Mapped[int] = mapped_column(primary_key=True)
    # info={"blank": False}: a name of spaces only is refused too.
    name: Mapped[str] = mapped_column(String(100), info={"blank": False})
    description: Mapped[str] = mapped_column(String(1000), default="")
