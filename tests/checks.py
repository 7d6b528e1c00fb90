"""Checks every rendered project must pass, whatever its options."""

import configparser
import json
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import yaml

LEFTOVER = re.compile(r"\{\{-?\s*cookiecutter|\{%-?\s|\s-?%\}")
SKIPPED_DIRS = {".git", ".tox", ".venv", "__pycache__", ".pytest_cache"}


def project_files(project):
    for path in sorted(Path(project).rglob("*")):
        if path.is_file() and not SKIPPED_DIRS & set(path.relative_to(project).parts):
            yield path


def without_answers(text, answers):
    """The text minus the answers themselves, raw and escaped, which may hold template syntax."""
    for value in sorted(answers.values(), key=len, reverse=True):
        escaped = value.replace("\\", "\\\\").replace('"', '\\"')
        text = text.replace(escaped, "").replace(value, "")
    return text


def assert_nothing_unrendered(project, answers=None):
    for path in project_files(project):
        relative = str(path.relative_to(project))
        assert "{{" not in relative, f"unrendered path {relative}"
        text = without_answers(path.read_text(encoding="utf-8"), answers or {})
        leftover = LEFTOVER.search(text)
        assert leftover is None, f"{relative} still contains {leftover.group()!r}"


def parse(path):
    text = path.read_text(encoding="utf-8")
    suffix = path.suffix
    if suffix == ".py":
        compile(text, str(path), "exec")
    elif suffix == ".toml":
        tomllib.loads(text)
    elif suffix in (".ini", ".cfg") or path.name in (".flake8",):
        configparser.ConfigParser(interpolation=None).read_string(text)
    elif suffix == ".json":
        json.loads(text)
    elif suffix in (".yaml", ".yml"):
        list(yaml.safe_load_all(text))
    else:
        return False
    return True


def assert_every_file_parses(project):
    parsed = [path.name for path in project_files(project) if parse(path)]
    assert "pyproject.toml" in parsed and "tox.ini" in parsed


def assert_flake8_clean(project):
    result = subprocess.run([sys.executable, "-m", "flake8", "src", "tests", "setup.py"],
                            cwd=project, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def assert_generated_tests_pass(project, **extra_env):
    """The generated suite, with its 100% coverage floor, in this interpreter against src/."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("FLASK_", "COV_CORE")) and k != "TEST_DATABASE_URL"}
    env.update(extra_env, PYTHONPATH=str(Path(project) / "src"))
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--cov",
         "--cov-report=term-missing"],
        cwd=project, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-3000:]


def assert_project_is_sound(project, answers=None):
    assert_nothing_unrendered(project, answers)
    assert_every_file_parses(project)
    assert_flake8_clean(project)
    assert_generated_tests_pass(project)
