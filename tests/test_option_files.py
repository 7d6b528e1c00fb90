"""An option on brings its files, dependencies and settings; an option off leaves no trace."""

import re
import tomllib

import pytest

from .checks import project_files
from .conftest import bake_ok
from .options import ALL_OFF, ALL_ON

# option: (files it owns, with {pkg} for the package; dependency it adds; text only it writes)
OPTION_TRACES = {
    "auth": (
        ["src/{pkg}/auth.py", "src/{pkg}/views/me.py", "tests/jwt_tokens.py",
         "tests/test_auth.py", "tests/test_me.py"],
        "pyjwt[crypto]",
        re.compile(r"jwt|bearer|init_auth|require_scopes|/me\b", re.IGNORECASE),
    ),
    "use_http_client": (
        ["src/{pkg}/http_client.py", "tests/test_http_client.py"],
        "requests",
        re.compile(r"http_client|HTTP_[A-Z]+|requests>=|import requests|urllib3"),
    ),
    "use_cors": (
        ["src/{pkg}/cors.py", "tests/test_cors.py"],
        "flask-cors",
        re.compile(r"\bcors|flask.cors", re.IGNORECASE),
    ),
}
PACKAGE = "my_service"


def dependencies(project):
    return tomllib.loads((project / "pyproject.toml").read_text())["project"]["dependencies"]


@pytest.mark.parametrize("option", OPTION_TRACES)
def test_option_on_brings_its_files_dependency_and_settings(cookies, option):
    project = bake_ok(cookies, **{**ALL_OFF, option: ALL_ON[option]})
    files, dependency, text = OPTION_TRACES[option]
    for path in files:
        assert (project / path.format(pkg=PACKAGE)).is_file(), path
    assert any(d.startswith(dependency + ">=") for d in dependencies(project))
    for shared in ("README.md", f"src/{PACKAGE}/config.py", f"src/{PACKAGE}/app.py"):
        assert text.search((project / shared).read_text()), f"{shared} does not mention {option}"


@pytest.mark.parametrize("option", OPTION_TRACES)
def test_option_off_leaves_no_trace(cookies, option):
    project = bake_ok(cookies, **{**ALL_ON, option: ALL_OFF[option]})
    files, dependency, text = OPTION_TRACES[option]
    for path in files:
        assert not (project / path.format(pkg=PACKAGE)).exists(), path
    assert not [d for d in dependencies(project) if d.startswith(dependency)]
    for path in project_files(project):
        found = text.search(path.read_text(encoding="utf-8"))
        assert found is None, f"{path.relative_to(project)} mentions {found.group()!r}"


def test_defaults_have_every_option_off(default_project):
    for option, (files, dependency, text) in OPTION_TRACES.items():
        assert not (default_project / files[0].format(pkg=PACKAGE)).exists(), option
