"""The OpenAPI option: answers land verbatim in the document."""

import yaml

from .conftest import bake_ok
from .options import ALL_ON
from .test_render import literal


def test_document_carries_names_verbatim(cookies):
    answers = {"project_name": "O'Brien \"Bob\" \\ Ünïcode {{ x }}",
               "description": "It's a 'quoted' \\ back\\slash: # not a comment {% raw %}"}
    project = bake_ok(cookies, **ALL_ON, **literal(answers), project_slug="obrien")
    document = yaml.safe_load((project / "src" / "obrien" / "openapi.yaml").read_text())
    assert document["info"]["title"] == answers["project_name"]
    assert document["info"]["description"] == answers["description"]
    assert document["openapi"] == "3.1.0"
    assert "/items" in document["paths"]
