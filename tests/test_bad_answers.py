"""Bad answers stop generation in pre-gen with one clear line and leave nothing behind."""

import pytest
from cookiecutter.exceptions import FailedHookException

from .conftest import TEMPLATE
from .options import UNSUPPORTED

BAD_ANSWERS = [
    ({"project_slug": "-leading-dash"}, "is not a valid distribution name"),
    ({"project_slug": "has space"}, "is not a valid distribution name"),
    ({"project_slug": "trailing."}, "is not a valid distribution name"),
    ({"project_slug": "9lives"}, "is not a Python identifier"),
    ({"project_slug": "import"}, "is a Python keyword"),
    ({"project_slug": "match"}, "is a Python keyword"),
    ({"project_slug": "json"}, "shadows the standard-library module"),
    ({"project_slug": "logging"}, "shadows the standard-library module"),
    ({"project_slug": "flask"}, "shadows a package the service imports"),
    ({"project_slug": "werkzeug"}, "shadows a package the service imports"),
    ({"project_slug": "gunicorn"}, "shadows a package the service imports"),
    ({"project_slug": "pytest"}, "shadows a package the service imports"),
    ({"project_slug": "jwt"}, "shadows a package the service imports"),
    ({"project_slug": "requests"}, "shadows a package the service imports"),
    ({"project_slug": "flask_cors"}, "shadows a package the service imports"),
    ({"project_slug": "prometheus-client"}, "shadows a package the service imports"),
    ({"project_slug": "sqlalchemy"}, "shadows a package the service imports"),
    ({"project_slug": "yaml"}, "shadows a package the service imports"),
    ({"project_name": "Ünïcode", "project_slug": "ünïcode"}, "is not a valid distribution name"),
    ({"author_email": "not-an-email"}, "is not an email address"),
    ({"author_email": "a@b"}, "is not an email address"),
    ({"author_email": "a b@example.com"}, "is not an email address"),
    ({"version": "one"}, "is not a normalised PEP 440 version"),
    ({"version": "1.0-beta"}, "is not a normalised PEP 440 version"),
    ({"version": "v1.0"}, "is not a normalised PEP 440 version"),
    ({"project_name": "   ", "project_slug": "blank-name"}, "project_name is empty"),
    ({"description": "two\nlines"}, "description contains U+000A"),
    ({"author_name": "tab\there"}, "author_name contains U+0009"),
    ({"description": "sneaky \u202e override"}, "description contains U+202E"),
    ({"description": "x" * 301}, "keep it to 300 at most"),
]


def answers_id(case):
    return ",".join(f"{k}={v[:12]!r}" for k, v in case[0].items())


def assert_refused(cookies, capfd, tmp_path, answers, message):
    result = cookies.bake(extra_context=answers, template=str(TEMPLATE))
    assert isinstance(result.exception, FailedHookException), repr(result.exception)
    assert result.exit_code != 0
    stderr = capfd.readouterr().err
    stderr_lines = [line for line in stderr.splitlines() if line.startswith("error:")]
    assert len(stderr_lines) == 1 and message in stderr_lines[0], stderr_lines
    # pytest-cookies renders into tmp_path/cookies/bakeNN: each must still be empty.
    bake_dirs = list((tmp_path / "cookies").iterdir())
    leftovers = [path for bake_dir in bake_dirs for path in bake_dir.iterdir()]
    assert bake_dirs and not leftovers, f"left behind: {leftovers}"


@pytest.mark.parametrize("case", BAD_ANSWERS, ids=answers_id)
def test_bad_answer_is_refused(cookies, capfd, tmp_path, case):
    answers, message = case
    assert_refused(cookies, capfd, tmp_path, answers, message)


@pytest.mark.parametrize("case", UNSUPPORTED, ids=lambda case: case[1][:40])
def test_unsupported_combination_is_refused(cookies, capfd, tmp_path, case):
    answers, message = case
    assert_refused(cookies, capfd, tmp_path, answers, message)
