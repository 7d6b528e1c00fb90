"""The tables of the service; change them, then `flask db migrate -m "what changed"`."""

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from .db import db

NAME_LENGTH = 100
DESCRIPTION_LENGTH = 1000


class Item(db.Model):
    __tablename__ = "items"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(NAME_LENGTH))
    description: Mapped[str] = mapped_column(String(DESCRIPTION_LENGTH), default="")

    def to_dict(self):
        return {"id": self.id, "name": self.name, "description": self.description}
