"""Tier 2: the generated README's "Growing the service", followed word for word in a render (all
options on, and all off, which changes the steps), then the render's own tox: its suite with the
coverage floor, on the Python that runs these tests, and flake8."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import bake_ok
from .options import ALL_OFF, ALL_ON
from .processes import clean_environment

pytestmark = pytest.mark.end_to_end

INSTRUCTION = re.compile(
    r"(?P<verb>Create|Append to) `(?P<path>[^`]+)`:"
    r"|Insert after the line `(?P<after>.*)` in `(?P<insert_path>[^`]+)`:"
    r"|Replace the line `(?P<old>.*)` in `(?P<replace_path>[^`]+)` with:")
BIN = Path(sys.executable).parent


def guide(project):
    """The lines of the README's "Growing the service" section."""
    lines = (project / "README.md").read_text(encoding="utf-8").splitlines()
    start = lines.index("## Growing the service")
    end = next(i for i in range(start + 1, len(lines)) if lines[i].startswith("## "))
    return lines[start + 1:end]


def steps(lines):
    """(instruction match or None for commands, the code block after it), in order."""
    found, instruction, i = [], None, 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("    "):
            block = []
            while i < len(lines) and (lines[i].startswith("    ") or not lines[i].strip()):
                block.append(lines[i][4:])
                i += 1
            found.append((instruction, "\n".join(block).strip("\n") + "\n"))
            instruction = None
            continue
        if line.strip():
            instruction = INSTRUCTION.fullmatch(line.strip())
        i += 1
    return found


def follow(project, instruction, block, env):
    if instruction is None:
        for command in block.splitlines():
            result = subprocess.run(["bash", "-c", command], cwd=project, env=env, text=True,
                                    capture_output=True, timeout=600)
            assert result.returncode == 0, f"{command}:\n{result.stdout}{result.stderr}"
        return
    path = project / (instruction["path"] or instruction["insert_path"]
                      or instruction["replace_path"])
    if instruction["verb"] == "Create":
        assert not path.exists(), f"{path} exists already"
        path.write_text(block, encoding="utf-8")
        return
    text = path.read_text(encoding="utf-8")
    if instruction["verb"] == "Append to":
        path.write_text(text.rstrip("\n") + "\n\n\n" + block, encoding="utf-8")
        return
    anchor = instruction["after"] if instruction["after"] is not None else instruction["old"]
    lines = text.splitlines(keepends=True)
    matches = [i for i, line in enumerate(lines) if line.rstrip("\n") == anchor]
    assert len(matches) == 1, f"the line {anchor!r} is in {path} {len(matches)} times"
    [at] = matches
    if instruction["after"] is not None:
        lines.insert(at + 1, block)
    else:
        lines[at] = block
    path.write_text("".join(lines), encoding="utf-8")


def environment():
    # `flask db` runs the service from its source tree
    return clean_environment(PATH=os.pathsep.join([str(BIN), os.environ.get("PATH", "")]),
                             PYTHONPATH="src")


@pytest.mark.parametrize("answers", [ALL_ON, ALL_OFF], ids=["all-on", "all-off"])
def test_the_growing_guide_works_word_for_word(cookies, answers):
    project = bake_ok(cookies, **answers)
    env = environment()
    followed = steps(guide(project))
    assert len(followed) >= (10 if answers["use_openapi"] else 8), followed
    for instruction, block in followed:
        follow(project, instruction, block, env)
    if answers["database"] == "sqlalchemy":
        versions = project / "src" / "my_service" / "migrations" / "versions"
        migration = versions / "0002_add_maker_to_items.py"
        assert migration.is_file(), sorted(path.name for path in versions.iterdir())
        text = migration.read_text()
        assert "revision = '0002'" in text and "down_revision = '0001'" in text, text
    env.pop("PYTHONPATH")
    tox = subprocess.run([str(BIN / "tox"), "-e", "py,lint"], cwd=project, env=env, text=True,
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=900)
    assert tox.returncode == 0, tox.stdout[-8000:]
