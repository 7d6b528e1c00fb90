"""The update path: cruft links a service to the template and carries template changes into it."""

import json
import os
import shutil
import subprocess
import sys

import pytest

from .conftest import TEMPLATE, bake_ok

CRUFT = [sys.executable, "-m", "cruft"]
GIT_IDENTITY = {"GIT_AUTHOR_NAME": "Template Tests", "GIT_AUTHOR_EMAIL": "tests@example.com",
                "GIT_COMMITTER_NAME": "Template Tests", "GIT_COMMITTER_EMAIL": "tests@example.com"}
COPIED = ["cookiecutter.json", "hooks", "templates", "{{cookiecutter.project_slug}}"]


def run(args, cwd, check=True):
    env = {**os.environ, **GIT_IDENTITY, "COLUMNS": "200"}
    result = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
    if check:
        assert result.returncode == 0, f"{args}: {result.stdout}\n{result.stderr}"
    return result


def commit_all(repo, message):
    run(["git", "add", "-A"], repo)
    run(["git", "commit", "-q", "-m", message], repo)


@pytest.fixture
def template_repo(tmp_path):
    """A git copy of the template that the test may change."""
    repo = tmp_path / "template"
    repo.mkdir()
    for name in COPIED:
        source = TEMPLATE / name
        if source.is_dir():
            shutil.copytree(source, repo / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, repo / name)
    run(["git", "init", "-q", "-b", "main"], repo)
    commit_all(repo, "template")
    return repo


def change_template(repo):
    readme = repo / "{{cookiecutter.project_slug}}" / "README.md"
    readme.write_text(readme.read_text() + "\n## Added by a template change\n")
    commit_all(repo, "a change to the template")


def init_service_repo(project):
    run(["git", "init", "-q", "-b", "main"], project)
    commit_all(project, "service")


def assert_update_applies(project, template_repo):
    change_template(template_repo)
    assert run(CRUFT + ["check"], project, check=False).returncode != 0, "check missed a change"
    run(CRUFT + ["update", "--skip-apply-ask", "--allow-untracked-files"], project)
    assert not list(project.rglob("*.rej")), "the update left rejected hunks"
    assert "## Added by a template change" in (project / "README.md").read_text()
    run(CRUFT + ["check"], project)


def test_cruft_created_service_is_up_to_date_then_takes_an_update(tmp_path, template_repo):
    out = tmp_path / "out"
    run(CRUFT + ["create", str(template_repo), "--no-input", "--output-dir", str(out)], tmp_path)
    project = out / "my-service"
    assert (project / ".cruft.json").is_file()
    init_service_repo(project)
    run(CRUFT + ["check"], project)
    assert_update_applies(project, template_repo)


def test_plain_cookiecutter_render_keeps_its_answers_and_can_be_linked(
        tmp_path, template_repo, cookies):
    answers = {"project_name": "Billing API", "license": "Apache-2.0", "python_min": "3.12"}
    project = bake_ok(cookies, **answers)
    saved = json.loads((project / ".cookiecutter.json").read_text())
    assert {key: saved[key] for key in answers} == answers
    assert not [key for key in saved if key.startswith("_")]
    init_service_repo(project)
    run(CRUFT + ["link", str(template_repo), "--no-input",
                 "--extra-context", json.dumps(saved)], project)
    commit_all(project, "link to the template")
    run(CRUFT + ["check"], project)
    assert_update_applies(project, template_repo)
