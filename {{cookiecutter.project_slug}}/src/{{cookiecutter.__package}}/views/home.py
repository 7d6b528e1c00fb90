"""GET /: which service this is and which version answers."""

from flask import Blueprint, current_app

from .. import __version__

bp = Blueprint("home", __name__)


@bp.get("/")
def index():
    return {"service": current_app.config["SERVICE_NAME"], "version": __version__}
