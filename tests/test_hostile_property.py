"""Property: any text typed at the text prompts is refused with one clear line, or renders a
project whose files all parse (and, for a sample, whose own tests pass).

TEMPLATE_TESTS_HYPOTHESIS_EXAMPLES raises the example count (default 25) for a longer run.
"""

import os
import tempfile
from pathlib import Path

import pytest
from cookiecutter import prompt
from cookiecutter.exceptions import FailedHookException
from cookiecutter.main import cookiecutter
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from .checks import assert_every_file_parses, assert_nothing_unrendered, assert_project_is_sound
from .conftest import TEMPLATE
from .test_hooks import load_hook

EXAMPLES = int(os.environ.get("TEMPLATE_TESTS_HYPOTHESIS_EXAMPLES", "25"))
TEXT_PROMPTS = ("project_name", "description", "author_name")

hostile_text = st.one_of(
    st.text(min_size=1, max_size=60),
    st.text(alphabet=st.sampled_from(list("'\"\\{}%#<>&[]=;:, \t\nÜñ🚀\u200d\u202e")),
            min_size=1, max_size=40),
    st.sampled_from(["{{ cookiecutter.project_slug }}", "{% if %}", '"""', "'''", "\\",
                     "{{", "{%", "#}", "${{ secrets.X }}", "%(levelname)s"]),
).filter(lambda text: "\x00" not in text)


def render_as_typed(answers, output_dir, monkeypatch):
    """Render as if a person typed `answers` at the prompts: cookiecutter takes typed text as is."""
    monkeypatch.setattr(prompt, "read_user_variable",
                        lambda name, default, *args, **kwargs: answers.get(name, default))
    monkeypatch.setattr(prompt, "read_user_choice", lambda name, options, *args, **kw: options[0])
    monkeypatch.setattr(prompt, "read_user_yes_no", lambda name, default, *args, **kw: default)
    return Path(cookiecutter(str(TEMPLATE), no_input=False, output_dir=str(output_dir),
                             default_config=True))


@pytest.fixture(scope="module")
def pre_gen_hook(tmp_path_factory):
    return load_hook(tmp_path_factory.mktemp("hook"), "pre_gen_project")


@settings(max_examples=EXAMPLES, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(st.fixed_dictionaries({name: hostile_text for name in TEXT_PROMPTS}))
def test_typed_text_is_refused_clearly_or_renders_files_that_parse(
        pre_gen_hook, monkeypatch, answers):
    problem = pre_gen_hook.first_problem({**pre_gen_hook.ANSWERS, **answers,
                                          "project_slug": "hostile-text"})
    with tempfile.TemporaryDirectory() as output_dir:
        answers = {**answers, "project_slug": "hostile-text"}
        if problem is not None:
            assert "\n" not in problem
            with pytest.raises(FailedHookException):
                render_as_typed(answers, output_dir, monkeypatch)
            assert not os.listdir(output_dir), "a refused render left files behind"
            return
        project = render_as_typed(answers, output_dir, monkeypatch)
        assert_nothing_unrendered(project, answers)
        assert_every_file_parses(project)


@settings(max_examples=max(EXAMPLES, 25), deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(st.text(min_size=1, max_size=40))
def test_any_typed_name_gives_a_valid_slug_or_a_clear_refusal(monkeypatch, project_name):
    with tempfile.TemporaryDirectory() as output_dir:
        try:
            project = render_as_typed({"project_name": project_name}, output_dir, monkeypatch)
        except FailedHookException:
            assert not os.listdir(output_dir), "a refused render left files behind"
            return
        assert pre_gen_hook_module().DISTRIBUTION_NAME.fullmatch(project.name)
        assert_every_file_parses(project)


def pre_gen_hook_module():
    return load_hook(Path(tempfile.mkdtemp()), "pre_gen_project")


printable = st.text(st.characters(exclude_categories=("Cc", "Cs", "Cn", "Zl", "Zp")),
                    min_size=1, max_size=40)


@settings(max_examples=3, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.filter_too_much])
@given(st.fixed_dictionaries({name: printable for name in TEXT_PROMPTS}))
def test_a_sample_of_hostile_renders_passes_its_own_tests(pre_gen_hook, monkeypatch, answers):
    answers = {**answers, "project_slug": "hostile-sample"}
    assume(pre_gen_hook.first_problem({**pre_gen_hook.ANSWERS, **answers}) is None)
    with tempfile.TemporaryDirectory() as output_dir:
        assert_project_is_sound(render_as_typed(answers, output_dir, monkeypatch), answers)
