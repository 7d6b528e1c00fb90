"""Tier 1 across options: every supported combination renders a sound project."""

import pytest

from .checks import assert_options_leave_no_trace, assert_project_is_sound
from .conftest import bake_ok
from .options import (OPTIONS, combination_id, supported_combinations, uncovered_pairs,
                      unsupported_reason)

COMBINATIONS = supported_combinations()


def test_matrix_covers_every_value_and_every_pair():
    for name, values in OPTIONS.items():
        seen = {combo[name] for combo in COMBINATIONS}
        assert seen == set(values), f"{name}: {set(values) - seen} never rendered"
    assert list(uncovered_pairs(COMBINATIONS)) == []
    assert all(unsupported_reason(combo) is None for combo in COMBINATIONS)


@pytest.mark.parametrize("combo", COMBINATIONS, ids=combination_id)
def test_combination_renders_a_sound_project(cookies, combo):
    project = bake_ok(cookies, **combo)
    assert_options_leave_no_trace(project, combo)
    assert_project_is_sound(project)
