"""Tier 1: the default render, each license, each minimum Python and hostile text."""

import tomllib
from datetime import datetime, timezone

import pytest
import yaml

from .checks import assert_project_is_sound
from .conftest import COOKIECUTTER_JSON, bake_ok
from .options import OPTIONS, supported_pythons


def test_defaults_render_a_sound_project(default_project):
    assert default_project.name == "my-service"
    assert (default_project / "src" / "my_service" / "app.py").is_file()
    assert_project_is_sound(default_project)


def test_flaskenv_points_flask_at_the_package(default_project):
    lines = (default_project / ".flaskenv").read_text().splitlines()
    assert "FLASK_APP=my_service" in lines


def test_pyproject_metadata_comes_from_the_answers(default_project):
    project = tomllib.loads((default_project / "pyproject.toml").read_text())["project"]
    assert project["name"] == "my-service"
    assert project["description"] == COOKIECUTTER_JSON["description"]
    assert project["authors"] == [{"name": COOKIECUTTER_JSON["author_name"],
                                   "email": COOKIECUTTER_JSON["author_email"]}]
    assert project["license"] == "MIT"
    assert project["requires-python"] == ">=3.11"
    assert all(">=" in dependency for dependency in project["dependencies"])


LICENSE_MARKERS = {
    "MIT": ("MIT License", "MIT", None),
    "BSD-3-Clause": ("BSD 3-Clause License", "BSD-3-Clause", None),
    "Apache-2.0": ("Apache License", "Apache-2.0", None),
    "GPL-3.0-or-later": ("GNU GENERAL PUBLIC LICENSE", "GPL-3.0-or-later", None),
    "Proprietary": ("All rights reserved", "LicenseRef-Proprietary", "Private :: Do Not Upload"),
}


@pytest.mark.parametrize("license_name", OPTIONS["license"])
def test_each_license_renders_its_text_and_metadata(cookies, license_name):
    project = bake_ok(cookies, license=license_name, author_name="Ada Lovelace")
    text_marker, spdx, private_classifier = LICENSE_MARKERS[license_name]
    license_text = (project / "LICENSE").read_text()
    assert text_marker in license_text
    for other, (other_marker, _, _) in LICENSE_MARKERS.items():
        if other != license_name:
            assert other_marker not in license_text
    metadata = tomllib.loads((project / "pyproject.toml").read_text())["project"]
    assert metadata["license"] == spdx
    classifiers = metadata["classifiers"]
    assert not [c for c in classifiers if c.startswith("License ::")]
    assert (private_classifier in classifiers) if private_classifier else (
        not [c for c in classifiers if c.startswith("Private ::")])
    year = datetime.now(timezone.utc).year
    if license_name in ("MIT", "BSD-3-Clause", "Proprietary"):
        assert f"Copyright (c) {year} Ada Lovelace" in license_text
    if license_name == "Apache-2.0":  # the notice its appendix asks for, above the terms
        assert license_text.startswith(f"Copyright {year} Ada Lovelace\n\n")


@pytest.mark.parametrize("python_min", OPTIONS["python_min"])
def test_each_minimum_python_sets_requires_classifiers_and_tox_envs(cookies, python_min):
    project = bake_ok(cookies, python_min=python_min)
    supported = supported_pythons(python_min)
    metadata = tomllib.loads((project / "pyproject.toml").read_text())["project"]
    assert metadata["requires-python"] == f">={python_min}"
    versions = [c.rsplit(" ", 1)[1] for c in metadata["classifiers"]
                if c.startswith("Programming Language :: Python :: 3.")]
    assert versions == supported
    env_list = next(line for line in (project / "tox.ini").read_text().splitlines()
                    if line.startswith("env_list"))
    envs = [env.strip() for env in env_list.split("=", 1)[1].split(",")]
    assert envs == [f"py{v.replace('.', '')}" for v in supported] + ["lint"]


@pytest.mark.parametrize("python_min", OPTIONS["python_min"])
def test_each_minimum_python_sets_the_ci_matrices_and_the_image(cookies, python_min):
    supported = supported_pythons(python_min)
    github = bake_ok(cookies, python_min=python_min, ci="github")
    workflow = yaml.safe_load((github / ".github/workflows/ci.yml").read_text())
    assert workflow["jobs"]["test"]["strategy"]["matrix"]["python"] == supported
    assert f"ARG PYTHON_VERSION={supported[-1]}\n" in (github / "Dockerfile").read_text()
    assert f"the tests run on each of {', '.join(supported)}." in (github / "README.md").read_text()
    gitlab = bake_ok(cookies, python_min=python_min, ci="gitlab")
    pipeline = yaml.safe_load((gitlab / ".gitlab-ci.yml").read_text())
    assert pipeline["test"]["parallel"]["matrix"] == [{"PYTHON": supported}]
    assert pipeline["lint"]["image"] == f"python:{supported[-1]}-slim"


HOSTILE = [
    pytest.param({"project_name": "O'Brien \"Bob\" \\ Ünïcode",
                  "description": "It's a \"quoted\" \\ back\\slash; done",
                  "author_name": "Zoë O'Brien-Ñúñez \\ \"the author\""}, id="quotes-backslashes"),
    pytest.param({"project_name": "Trip\"\"\"le",
                  "description": "ends with a backslash \\",
                  "author_name": "'''single''' \"\"\"double\"\"\""}, id="triple-quotes"),
    pytest.param({"project_name": "Braces {{ and {% here",
                  "description": "{{ cookiecutter.project_name }} {% if x %} #} {#",
                  "author_name": "{{ not a variable }}"}, id="template-syntax"),
    pytest.param({"project_name": "日本のサービス",
                  "description": "Ελληνικά, emoji 🚀, RTL עברית, ZWJ 👩‍💻",
                  "author_name": "José Ñandú"}, id="non-ascii"),
    pytest.param({"project_name": "Tabs and <html> & [toml] = \"x\"",
                  "description": "# not a comment ; not either [section] key = value",
                  "author_name": "a, b <c@d.e>"}, id="format-metacharacters"),
]


def literal(answers):
    """Wrap answers so that cookiecutter, which renders extra_context, passes them verbatim."""
    return {key: "{% raw %}" + value + "{% endraw %}" for key, value in answers.items()}


@pytest.mark.parametrize("answers", HOSTILE)
def test_hostile_text_renders_a_sound_project(cookies, answers):
    project = bake_ok(cookies, **literal(answers))
    assert_project_is_sound(project, answers)
    metadata = tomllib.loads((project / "pyproject.toml").read_text())["project"]
    assert metadata["description"] == answers["description"]
    assert metadata["authors"][0]["name"] == answers["author_name"]
    assert answers["project_name"] in (project / "README.md").read_text()
