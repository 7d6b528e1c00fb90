"""The benchmark scripts the README shows, run for a moment each on the all-on render: they
start, measure and print their lines. No timing is asserted; bench/RESULTS.md holds the
figures of full runs."""

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from .conftest import bake_ok
from .options import ALL_ON
from .processes import clean_environment
from .served import PACKAGE, serving, settings

pytestmark = pytest.mark.end_to_end

BENCH = Path(__file__).resolve().parent.parent / "bench"


@pytest.fixture(scope="module")
def project(cookies_session):
    return bake_ok(cookies_session, **ALL_ON)


def bench(project, tmp_path, script, *args):
    """Run a bench script with the render importable and its production settings."""
    env = clean_environment(PYTHONPATH=str(project / "src"), TMPDIR=str(tmp_path),
                            **settings(ec.generate_private_key(ec.SECP256R1()),
                                       tmp_path / "bench.sqlite"))
    result = subprocess.run([sys.executable, str(BENCH / script), *map(str, args)], env=env,
                            cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_app_time_compares_each_app_with_bare_flask(project, tmp_path):
    out = bench(project, tmp_path, "app_time.py", PACKAGE, "--rounds", 1, "--requests", 20)
    for path in ("/healthz", "/"):
        assert f"GET {path}: bare " in out and f"{PACKAGE} " in out, out


def test_app_time_measures_body_validation(project, tmp_path):
    out = bench(project, tmp_path, "app_time.py", "--validation", PACKAGE, "--rounds", 1,
                "--requests", 20)
    assert "field_errors, valid body:" in out and "of which validation" in out, out


def test_optimisations_name_a_verdict_for_each(project, tmp_path):
    out = bench(project, tmp_path, "optimisations.py", PACKAGE, "--rounds", 1, "--requests",
                20, "--runs", 1)
    lines = [line for line in out.splitlines() if line.strip()]
    assert len(lines) == 2 and all(line.endswith(("keep", "drop")) for line in lines), out


def test_slow_clients_against_a_running_service(project, tmp_path):
    with serving(project, tmp_path) as service:
        out = bench(project, tmp_path, "slow_clients.py", service.port, "--slow", 2,
                    "--seconds", 1)
    assert out.startswith("2 slow clients (") and "answered within 1 s" in out, out
    assert "ordinary requests failed" in out, out


def test_upstream_wait_reports_each_worker_class_against_its_bound(project, tmp_path):
    out = bench(project, tmp_path, "upstream_wait.py", PACKAGE, "--seconds", 1,
                "--conf", project / "gunicorn.conf.py")
    assert out.count("requests/s, bound") == 5, out


def load_bench_run():
    spec = importlib.util.spec_from_file_location("bench_run", BENCH / "run.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_time_to_green_splits_a_tox_log_into_its_parts():
    # The closing lines of a generated project's `tox -e py`, as tox 4 and pytest print them.
    tox_log = ("Required test coverage of 100.0% reached. Total coverage: 100.00%\n"
               "============================= 181 passed in 3.47s "
               "==============================\n"
               "  py: OK (6.26=setup[1.12]+cmd[5.14] seconds)\n"
               "  congratulations :) (6.32 seconds)\n")
    tox_parts = load_bench_run().tox_parts
    assert tox_parts(tox_log) == {"setup": 1.12, "command": 5.14, "pytest session": 3.47}
    assert tox_parts("py: FAIL code 1") == {}
