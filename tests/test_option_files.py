"""Each option alone brings its files and dependency; each option alone off leaves no trace."""

import tomllib

import pytest

from .checks import assert_options_leave_no_trace
from .conftest import bake_ok
from .options import ALL_OFF, ALL_ON, unsupported_reason

DEPENDENCY = {
    "use_metrics": "prometheus-client", "auth": "pyjwt[crypto]", "use_http_client": "requests",
    "use_cors": "flask-cors", "use_rate_limits": "flask-limiter[redis]", "use_openapi": "pyyaml",
    "database": "flask-sqlalchemy",
}


def dependencies(project):
    return tomllib.loads((project / "pyproject.toml").read_text())["project"]["dependencies"]


def only_change(base, option, value):
    combo = {**base, option: value}
    if unsupported_reason(combo):  # use_kubernetes needs use_docker: switch them together
        combo.update({"use_docker": value, "use_kubernetes": value})
    return combo


@pytest.mark.parametrize("option", ALL_ON)
def test_option_alone_on_brings_its_files_and_dependency(cookies, option):
    combo = only_change(ALL_OFF, option, ALL_ON[option])
    project = bake_ok(cookies, **combo)
    assert_options_leave_no_trace(project, combo)
    if option in DEPENDENCY:
        assert any(d.startswith(DEPENDENCY[option] + ">=") for d in dependencies(project))


@pytest.mark.parametrize("option", ALL_ON)
def test_option_alone_off_leaves_no_trace(cookies, option):
    combo = only_change(ALL_ON, option, ALL_OFF[option])
    project = bake_ok(cookies, **combo)
    assert_options_leave_no_trace(project, combo)
    if option in DEPENDENCY:
        assert not [d for d in dependencies(project) if d.startswith(DEPENDENCY[option])]


def test_defaults_turn_on_only_the_production_options(default_project):
    defaults = {"use_docker": True, "use_kubernetes": False, "ci": "github", "use_metrics": True,
                "auth": "none", "use_http_client": False, "use_cors": False,
                "use_rate_limits": False, "use_openapi": True, "database": "none"}
    assert_options_leave_no_trace(default_project, defaults)
