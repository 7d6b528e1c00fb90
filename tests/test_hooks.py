"""The hooks, rendered the way cookiecutter renders them, imported and called directly."""

import importlib.util
import json

import pytest
from cookiecutter.environment import StrictEnvironment
from cookiecutter.generate import generate_context
from cookiecutter.prompt import prompt_for_config

from .conftest import TEMPLATE


def context_for(**answers):
    context = generate_context(context_file=str(TEMPLATE / "cookiecutter.json"),
                               extra_context=answers)
    context["cookiecutter"] = prompt_for_config(context, no_input=True)
    return context


def load_hook(tmp_path, name, **answers):
    context = context_for(**answers)
    env = StrictEnvironment(context=context, keep_trailing_newline=True)
    source = (TEMPLATE / "hooks" / f"{name}.py").read_text(encoding="utf-8")
    rendered = tmp_path / f"{name}.py"
    rendered.write_text(env.from_string(source).render(**context), encoding="utf-8")
    spec = importlib.util.spec_from_file_location(name, rendered)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def pre_gen(tmp_path):
    return lambda **answers: load_hook(tmp_path, "pre_gen_project", **answers)


@pytest.fixture
def post_gen(tmp_path):
    return lambda **answers: load_hook(tmp_path, "post_gen_project", **answers)


def test_pre_gen_reads_the_answers_as_data(pre_gen):
    tricky = "O'Brien ''' \"\"\" \\ {{ x }} ünï"
    hook = pre_gen(author_name="{% raw %}" + tricky + "{% endraw %}")
    assert hook.ANSWERS["author_name"] == tricky
    assert hook.ANSWERS["__package"] == "my_service"
    assert hook.first_problem(hook.ANSWERS) is None


def test_pre_gen_main_reports_one_line_and_fails(pre_gen, capsys):
    hook = pre_gen()
    assert hook.main({**hook.ANSWERS, "version": "banana"}) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error: version 'banana'")
    assert hook.main(hook.ANSWERS) == 0


@pytest.mark.parametrize("package, verdict", [
    ("my_service", None), ("billing2", None),
    ("2fast", "not a Python identifier"), ("class", "keyword"), ("type", "keyword"),
    ("os", "standard-library"), ("asyncio", "standard-library"),
    ("jinja2", "the service imports"), ("click", "the service imports"),
])
def test_package_problem(pre_gen, package, verdict):
    problem = pre_gen().package_problem(package, package.replace("_", "-"))
    assert (problem is None) if verdict is None else (verdict in problem)


@pytest.mark.parametrize("version, ok", [
    ("0.1.0", True), ("1.0", True), ("2.0.0rc1", True), ("1!2.0.post1.dev3", True),
    ("1.0.0a0", True), ("01.0", False), ("1.0.0-rc1", False), ("1.0.0+local", False),
    ("", False),
])
def test_version_pattern(pre_gen, version, ok):
    assert bool(pre_gen().VERSION.fullmatch(version)) is ok


def test_unwanted_characters_are_found_and_the_rest_allowed(pre_gen):
    hook = pre_gen()
    assert hook.unwanted_character("Zoë 🚀 👩\u200d💻 'quotes' \"and\" \\") is None
    for bad in ("\n", "\t", "\x7f", "\u2028", "\u202e", "\ud800"):
        assert hook.unwanted_character(f"a{bad}b") == bad


def test_post_gen_prunes_only_the_files_of_disabled_options(post_gen, tmp_path):
    hook = post_gen()
    rows = (("use_thing", True, ["thing.py", "thing_dir"]), ("ci", "github", [".github"]))
    assert hook.paths_to_prune({"use_thing": True, "ci": "github"}, rows) == []
    assert hook.paths_to_prune({"use_thing": False, "ci": "gitlab"}, rows) == [
        "thing.py", "thing_dir", ".github"]
    project = tmp_path / "project"
    (project / "thing_dir").mkdir(parents=True)
    (project / "thing_dir" / "inner.txt").write_text("x")
    (project / "thing.py").write_text("x")
    (project / "keep.py").write_text("x")
    hook.prune(project, ["thing.py", "thing_dir", "already-gone.txt"])
    assert sorted(p.name for p in project.iterdir()) == ["keep.py"]


def test_post_gen_writes_flaskenv_and_prints_next_steps(post_gen, tmp_path, capsys):
    hook = post_gen(project_name="Billing API")
    project = tmp_path / "billing-api"
    project.mkdir()
    assert hook.main(hook.ANSWERS, root=project) == 0
    assert (project / ".flaskenv").read_text().splitlines()[0] == "FLASK_APP=billing_api"
    steps = capsys.readouterr().err.splitlines()
    assert steps[1:] == ["    cd billing-api", "    python -m venv .venv && . .venv/bin/activate",
                         '    python -m pip install -e ".[test]"',
                         "    flask run          # then: tox"]


def test_post_gen_next_steps_migrate_the_database_first(post_gen, tmp_path, capsys):
    hook = post_gen(database="sqlalchemy")
    project = tmp_path / "my-service"
    project.mkdir()
    hook.main(hook.ANSWERS, root=project)
    steps = capsys.readouterr().err.splitlines()
    assert steps[-2:] == ["    flask db upgrade", "    flask run          # then: tox"]


def test_post_gen_option_rows_name_files_the_template_has(post_gen):
    root = TEMPLATE / "{{cookiecutter.project_slug}}"
    template_files = {str(p.relative_to(root)).replace("{{cookiecutter.__package}}", "my_service")
                      for p in root.rglob("*")}
    for option, _, paths in post_gen().OPTION_FILES:
        for path in paths:
            assert path in template_files, f"{option}: {path} is not in the template"


def test_every_option_has_a_prompt_and_a_default():
    config = json.loads((TEMPLATE / "cookiecutter.json").read_text())
    questions = [key for key in config if not key.startswith("_")]
    assert set(questions) <= set(config["__prompts__"])
