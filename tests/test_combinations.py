"""Tier 1 across options: every supported combination renders a sound project."""

import pytest

from .checks import assert_options_leave_no_trace, assert_project_is_sound
from .conftest import bake_ok
from .options import OPTIONS, combination_id, supported_combinations, unsupported_reason

COMBINATIONS = supported_combinations()


def test_matrix_covers_every_value_and_every_pair():
    names = list(OPTIONS)
    for name in names:
        seen = {combo[name] for combo in COMBINATIONS}
        assert seen == set(OPTIONS[name]), f"{name}: {set(OPTIONS[name]) - seen} never rendered"
    for i, first in enumerate(names):
        for second in names[i + 1:]:
            for a in OPTIONS[first]:
                for b in OPTIONS[second]:
                    pair = {first: a, second: b}
                    if unsupported_reason(pair) is None:
                        assert any(combo[first] == a and combo[second] == b
                                   for combo in COMBINATIONS), f"pair {pair} never rendered"


@pytest.mark.parametrize("combo", COMBINATIONS, ids=combination_id)
def test_combination_renders_a_sound_project(cookies, combo):
    project = bake_ok(cookies, **combo)
    assert_options_leave_no_trace(project, combo)
    assert_project_is_sound(project)
