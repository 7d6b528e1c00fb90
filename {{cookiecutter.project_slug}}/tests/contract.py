"""Every response a test gets from a documented operation is checked against openapi.yaml.

The tests' client (``app`` fixture) is a ``ContractClient``: a response of a route that the
contract documents must have a documented status (or fall under ``default``), a documented media
type, a body that matches its schema and every required header. ``SEEN`` collects what the suite
has tried, so that ``conftest.py`` can fail a full run that never tried a documented status.
"""

import re

from flask.testing import FlaskClient
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012
from werkzeug.exceptions import HTTPException
from werkzeug.routing import RequestRedirect

from {{ cookiecutter.__package }}.views.openapi import load_document

DOCUMENT = "src/{{ cookiecutter.__package }}/openapi.yaml"
BASE = "urn:contract"
CONVERTER = re.compile(r"<(?:[^<>:]+:)?([^<>]+)>")
HTTP_METHODS = {"get", "put", "post", "delete", "patch", "options", "head", "trace"}
SEEN = set()  # (path, method, status) of every checked response


def openapi_path(rule):
    """/things/<int:thing_id> -> /things/{thing_id}"""
    return CONVERTER.sub(r"{\1}", rule.rule)


def pointer(*tokens):
    return "#" + "".join("/" + str(token).replace("~", "~0").replace("/", "~1")
                         for token in tokens)


def resolve(document, location, node):
    """Follow a local $ref; return the node and its JSON pointer."""
    while "$ref" in node:
        location = node["$ref"]
        node = document
        for token in location.removeprefix("#/").split("/"):
            node = node[token.replace("~1", "/").replace("~0", "~")]
    return location, node


def documented_operations(document):
    return {(path, method.upper()) for path, item in document["paths"].items()
            for method in item if method in HTTP_METHODS}


def documented_statuses(document):
    """(path, method, status) of every status an operation names, ``default`` left out."""
    return {(path, method.upper(), int(code))
            for path, item in document["paths"].items()
            for method, operation in item.items() if method in HTTP_METHODS
            for code in operation["responses"] if code != "default"}


def untried(document, seen):
    """Each documented operation and status that no response in ``seen`` came from."""
    tried = {(path, method) for path, method, _ in seen}
    return sorted(
        [f"{method} {path}: no test sent it a request"
         for path, method in documented_operations(document) - tried]
        + [f"{method} {path}: no test got a {status} from it"
           for path, method, status in documented_statuses(document) - seen
           if (path, method) in tried])


class Contract:
    def __init__(self, document):
        self.document = document
        resource = Resource.from_contents(document, default_specification=DRAFT202012)
        self.registry = Registry().with_resource(BASE, resource)
        self.operations = documented_operations(document)

    def mismatches(self, path, method, response):
        """What is wrong with ``response`` to ``method path`` (documented), as sentences."""
        operation = self.document["paths"][path][method.lower()]
        where = pointer("paths", path, method.lower(), "responses")
        code = str(response.status_code)
        responses = operation["responses"]
        key = code if code in responses else "default" if "default" in responses else None
        name = f"{method} {path} answered {response.status_code}"
        if key is None:
            return [f"{name}, which is not documented: add '{code}' under its responses "
                    f"in {DOCUMENT}"]
        location, spec = resolve(self.document, f"{where}/{key}", responses[key])
        problems = [f"{name} without the required header {header}"
                    for header, header_spec in spec.get("headers", {}).items()
                    if header_spec.get("required") and header not in response.headers]
        content = spec.get("content")
        if not content:
            if response.data:
                problems.append(f"{name} with a body, but {location} documents none")
            return problems
        if response.mimetype not in content:
            return problems + [f"{name} as {response.mimetype}, but {location} documents "
                               f"{', '.join(content)}"]
        if "schema" in content[response.mimetype] and response.is_json:
            schema = {"$ref": BASE + location + pointer("content", response.mimetype, "schema")[1:]}
            validator = Draft202012Validator(schema, registry=self.registry)
            problems += [f"{name}, whose body does not match {location}: {error.message} "
                         f"at {error.json_path}"
                         for error in validator.iter_errors(response.get_json())]
        return problems


class ContractClient(FlaskClient):
    """A test client that checks every response of a documented operation."""

    contract = Contract(load_document())

    def open(self, *args, **kwargs):
        response = super().open(*args, **kwargs)
        request = response.request
        try:
            rule, _ = self.application.url_map.bind("localhost").match(
                request.path, request.method, return_rule=True)
        except (HTTPException, RequestRedirect):
            return response  # no such route: nothing documented to compare with
        path = openapi_path(rule)
        if (path, request.method) in self.contract.operations:
            problems = self.contract.mismatches(path, request.method, response)
            assert not problems, "\n".join(problems)
            SEEN.add((path, request.method, response.status_code))
        return response
