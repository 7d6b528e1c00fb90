"""GET /openapi.json: the service's OpenAPI contract, shipped as openapi.yaml in the package."""

import functools
from importlib.resources import files

import yaml
from flask import Blueprint

from .. import __version__

bp = Blueprint("openapi", __name__)


@functools.cache
def load_document():
    """The OpenAPI document as a dict, read once; info.version is the package's version."""
    text = files("{{ cookiecutter.__package }}").joinpath("openapi.yaml").read_text("utf-8")
    document = yaml.safe_load(text)
    document["info"]["version"] = __version__
    return document


@bp.get("/openapi.json")
def openapi_json():
    return load_document()
