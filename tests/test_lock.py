"""The rendered uv.lock: what uv makes for every combination, and what tox installs.

`scripts/update_lock.py` writes the template's lock from uv's own locks of every combination
of the options that bring dependencies and python_min; here each supported combination's
rendered lock must be accepted by `uv lock --locked` as it is. The generated tox installs
exactly the locked versions, resolving nothing new, and a pyproject.toml changed without
`uv lock` stops it with the line that says what to run.
"""

import subprocess
import sys
import tomllib
from importlib.metadata import PathDistribution
from pathlib import Path

import pytest

from .conftest import bake_ok
from .options import ALL_ON, combination_id, supported_combinations
from .processes import clean_environment

UV = [sys.executable, "-m", "uv"]
TOX = Path(sys.executable).with_name("tox")


def locked_versions(project):
    """{normalised name: version} of every package uv.lock pins (the project itself aside)."""
    lock = tomllib.loads((project / "uv.lock").read_text(encoding="utf-8"))
    return {package["name"]: package["version"] for package in lock["package"]
            if "version" in package}


def normalised(name):
    return name.lower().replace("_", "-").replace(".", "-")


def uv_lock_locked(project, python):
    before = (project / "uv.lock").read_text(encoding="utf-8")
    result = subprocess.run([*UV, "lock", "--locked", "--python", python], cwd=project,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert (project / "uv.lock").read_text(encoding="utf-8") == before, "uv rewrote the lock"


@pytest.mark.parametrize("combo", supported_combinations(), ids=combination_id)
def test_each_render_locks_what_uv_would(cookies, combo):
    project = bake_ok(cookies, **combo)
    uv_lock_locked(project, combo["python_min"])


def tox(project, *args):
    return subprocess.run([str(TOX), *args], cwd=project, env=clean_environment(),
                          capture_output=True, text=True, timeout=900)


@pytest.mark.end_to_end
def test_tox_installs_the_locked_versions_and_stops_on_a_stale_lock(cookies):
    project = bake_ok(cookies, database="sqlalchemy", auth="jwt")
    result = tox(project, "-e", "py311,lint", "--notest")
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    locked = locked_versions(project)
    for env in ("py311", "lint"):
        site = next((project / ".tox" / env / "lib").glob("python3*/site-packages"))
        installed = {normalised(PathDistribution(info).metadata["Name"]):
                     PathDistribution(info).version for info in site.glob("*.dist-info")}
        installed.pop("my-service", None)
        assert installed, f"nothing installed in {env}"
        wrong = {name: (version, locked.get(name)) for name, version in installed.items()
                 if locked.get(name) != version}
        assert not wrong, f"{env} installed versions that uv.lock does not pin: {wrong}"
    assert "flake8" in locked and "pytest" in locked

    pyproject = project / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace(
        '"gunicorn>=23.0",', '"gunicorn>=23.0",\n    "humanize>=4.9",'))
    stale = tox(project, "-e", "py311")
    assert stale.returncode != 0, "tox ran on a lock that pyproject.toml has moved away from"
    output = stale.stdout + stale.stderr
    assert "needs to be updated" in output and "run `uv lock`" in output, output[-3000:]


@pytest.mark.end_to_end
def test_the_lower_bounds_of_pyproject_pass_the_generated_suite(cookies, tmp_path):
    """pyproject.toml's lower bounds are what a library user installs against: the all-options
    render, every direct dependency at the oldest release its bound admits, on the oldest
    Python, passes its own suite."""
    project = bake_ok(cookies, **ALL_ON)
    venv = tmp_path / "lowest"
    env = clean_environment()
    subprocess.run([*UV, "venv", "-q", "--python", "3.11", str(venv)], env=env, check=True,
                   timeout=120)
    install = subprocess.run(
        [*UV, "pip", "install", "--python", str(venv / "bin" / "python"),
         "--resolution", "lowest-direct", "-e", ".[test]"],
        cwd=project, env=env, capture_output=True, text=True, timeout=600)
    assert install.returncode == 0, install.stderr[-3000:]
    tests = subprocess.run([str(venv / "bin" / "python"), "-m", "pytest", "-q", "-p",
                            "no:cacheprovider"], cwd=project, env=env, capture_output=True,
                           text=True, timeout=900)
    assert tests.returncode == 0, tests.stdout[-4000:] + tests.stderr[-2000:]
