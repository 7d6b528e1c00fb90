"""Every Python a render claims, run for real: the generated suite through the generated tox.

The all-options render runs on 3.11 to 3.15, and one render per python_min on each Python from
it up. Each runs its own `tox` as a user does (tox with tox-uv, the pair its README installs,
installed on the render's oldest Python, which its lint env then uses), and every env of its
env_list must really
run: an interpreter that tox cannot find, and would skip, fails the test. `.ci/install-pythons`
puts them on PATH. One test per render, so that xdist workers share the renders.
"""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import bake_ok
from .options import ALL_ON, OPTIONS, supported_pythons
from .processes import clean_environment

pytestmark = pytest.mark.end_to_end

RENDERS = [pytest.param(ALL_ON, id="all-on")] + [
    pytest.param({"python_min": version}, id=f"python_min={version}")
    for version in OPTIONS["python_min"]]
TOX_TIMEOUT = 900


def tox_env(version):
    return f"py{version.replace('.', '')}"


def env_list(project):
    for line in (project / "tox.ini").read_text(encoding="utf-8").splitlines():
        if line.startswith("env_list"):
            return [env.strip() for env in line.split("=", 1)[1].split(",")]
    pytest.fail("the generated tox.ini has no env_list")


def user_environment():
    """The caller's environment as a fresh shell has it: without the variables of this suite's
    own tox and pytest, and without this suite's virtualenv on PATH."""
    env = clean_environment()
    own_bin = str(Path(sys.prefix) / "bin")
    env["PATH"] = os.pathsep.join(part for part in env.get("PATH", "").split(os.pathsep)
                                  if part != own_bin)
    return env


def assert_interpreters_found(versions, env):
    for version in versions:
        command = shutil.which(f"python{version}", path=env["PATH"])
        found = command and subprocess.run([command, "-c", "import sys"], env=env,
                                           capture_output=True).returncode == 0
        assert found, (f"python{version} does not run from PATH: `bash .ci/install-pythons` "
                       f"makes 3.12 and 3.13 visible and installs 3.14 and 3.15")


def tox_on(version, folder, env):
    """A tox with tox-uv installed on Python ``version``: a project's tox runs on a Python the
    project supports (its lint env uses that interpreter)."""
    venv = folder / f"tox-{version}"
    uv = [sys.executable, "-m", "uv"]
    for command in ([*uv, "venv", "--quiet", "--python", f"python{version}", str(venv)],
                    [*uv, "pip", "install", "--quiet", "--python", str(venv / "bin" / "python"),
                     "tox>=4.20", "tox-uv>=1.37"]):
        result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
        assert result.returncode == 0, result.stderr
    return venv / "bin" / "tox"


def run_tox(tox, project, env):
    result = subprocess.run([str(tox)], cwd=project, env=env, timeout=TOX_TIMEOUT, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    assert result.returncode == 0, f"tox exited {result.returncode}:\n{result.stdout[-12000:]}"
    return result.stdout


@pytest.mark.parametrize("answers", RENDERS)
def test_the_generated_suite_passes_on_every_python_it_claims(cookies, answers, tmp_path):
    pythons = supported_pythons(answers.get("python_min", OPTIONS["python_min"][0]))
    project = bake_ok(cookies, **answers)
    envs = [tox_env(version) for version in pythons]
    assert env_list(project) == [*envs, "lint"]
    env = user_environment()
    assert_interpreters_found(pythons, env)
    output = run_tox(tox_on(pythons[0], tmp_path, env), project, env)
    print(*re.findall(r"^  \S+: (?:OK|FAIL|SKIP).*$", output, re.MULTILINE), sep="\n")  # summary
    skipped = re.findall(r"^ *(\S+): SKIP", output, re.MULTILINE)
    assert not skipped, f"tox skipped {skipped}:\n{output[-12000:]}"
    for name in [*envs, "lint"]:
        assert re.search(rf"^ *{name}: OK", output, re.MULTILINE), (
            f"{name} did not pass:\n{output[-12000:]}")
