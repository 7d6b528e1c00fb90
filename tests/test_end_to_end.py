"""Tier 2: named combinations used as a user would, in a fresh virtualenv with real servers.

Each combination is rendered, installed with `pip install -e .[test]` into a venv of its own,
then checked with its own tox, `flask routes`, `flask run` and `gunicorn` over real HTTP.
The steps run in one test per combination so that the install is done once, whichever
xdist worker takes it.
"""

import json
import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass
from email.message import Message
from pathlib import Path

import pytest

from .conftest import bake_ok, production_env
from .options import ALL_ON
from .processes import accepts_connections, clean_environment, free_port, stop_process_group

pytestmark = pytest.mark.end_to_end

# (test id, answers): add a named combination here to run it end to end as well.
COMBINATIONS = [
    ("defaults", {}),
    ("all-on", ALL_ON),
]

STARTUP_TIMEOUT = 30
HTTP_TIMEOUT = 10
# Talk to the servers directly, whatever proxy the environment names.
HTTP = urllib.request.build_opener(urllib.request.ProxyHandler({}))


@dataclass
class Installed:
    project: Path
    venv: Path

    def command(self, name, *args):
        return [str(self.venv / "bin" / name), *args]

    def environment(self, **extra):
        return user_environment(self.venv, **extra)


def user_environment(venv, **extra):
    """The caller's environment as a fresh shell with the venv activated would see it.

    Variables that tox, pytest-cov or the developer set for the template's own run are dropped:
    FLASK_* would hide what .flaskenv provides, TOX_* would steer the project's tox.
    """
    path = os.pathsep.join([str(venv / "bin"), os.environ.get("PATH", "")])
    return clean_environment(PATH=path, VIRTUAL_ENV=str(venv), **extra)


def run(command, cwd, env, timeout):
    """Run to completion and fail with the command's output unless it exits 0."""
    result = subprocess.run(command, cwd=cwd, env=env, timeout=timeout, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    assert result.returncode == 0, (
        f"{' '.join(command)} exited {result.returncode}:\n{result.stdout[-8000:]}")
    return result.stdout


@contextmanager
def started(command, cwd, env, log_path):
    """Start a command in its own process group, its output going to log_path."""
    with open(log_path, "w") as log:
        process = subprocess.Popen(command, cwd=cwd, env=env, stdout=log,
                                   stderr=subprocess.STDOUT, start_new_session=True)
    try:
        yield process
    finally:
        stop_process_group(process)


@contextmanager
def serving(command, cwd, env, port, log_path):
    """Start a server and wait until it accepts connections on 127.0.0.1:port."""
    with started(command, cwd, env, log_path) as process:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while not accepts_connections(port):
            if process.poll() is not None:
                pytest.fail(f"{' '.join(command)} exited {process.returncode} before "
                            f"listening on port {port}:\n{log_path.read_text()}")
            if time.monotonic() > deadline:
                pytest.fail(f"{' '.join(command)} did not listen on port {port} within "
                            f"{STARTUP_TIMEOUT} s:\n{log_path.read_text()}")
            time.sleep(0.2)
        yield process


@dataclass
class Response:
    status: int
    headers: Message
    body: bytes

    def json(self):
        return json.loads(self.body)


def get(port, path, headers=None):
    """GET http://127.0.0.1:port/path; error statuses are returned, not raised."""
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers=headers or {})
    try:
        with HTTP.open(request, timeout=HTTP_TIMEOUT) as response:
            return Response(response.status, response.headers, response.read())
    except urllib.error.HTTPError as error:
        with error:
            return Response(error.code, error.headers, error.read())


def describe(response, log_path):
    return (f"{response.status} {dict(response.headers)} {response.body[:2000]!r}\n"
            f"server output:\n{log_path.read_text()}")


def install_in_fresh_venv(project):
    venv = project / ".venv"
    run([sys.executable, "-m", "venv", str(venv)], project, user_environment(venv), timeout=300)
    installed = Installed(project, venv)
    run(installed.command("python", "-m", "pip", "install", "-e", ".[test]", "tox"),
        project, installed.environment(), timeout=600)
    return installed


def check_generated_tox_passes(installed):
    output = run(installed.command("tox"), installed.project, installed.environment(),
                 timeout=1200)
    # Missing interpreters are skipped; at least one Python env and lint must really have run.
    assert re.search(r"^ *py3\d+: OK", output, re.MULTILINE), output[-8000:]
    assert re.search(r"^ *lint: OK", output, re.MULTILINE), output[-8000:]


def check_flask_routes_finds_the_app_through_flaskenv(installed):
    output = run(installed.command("flask", "routes"), installed.project,
                 installed.environment(), timeout=120)
    rules = {line.split()[-1] for line in output.splitlines()[2:] if line.strip()}
    assert {"/", "/healthz", "/readyz"} <= rules, output


def check_flask_run_answers_health_and_problem_json(installed, log_path):
    port = free_port()
    command = installed.command("flask", "run", "--port", str(port))
    with serving(command, installed.project, installed.environment(), port, log_path):
        health = get(port, "/healthz")
        assert health.status == 200, describe(health, log_path)
        assert health.json() == {"status": "ok"}, describe(health, log_path)

        missing = get(port, "/no-such-page")
        assert missing.status == 404, describe(missing, log_path)
        assert missing.headers.get_content_type() == "application/problem+json", (
            describe(missing, log_path))
        assert missing.json()["status"] == 404, describe(missing, log_path)

        if (installed.project / "src" / "my_service" / "dev_tokens.py").exists():
            # auth=jwt: the README's development token opens the guarded /me
            token = run(installed.command("flask", "dev-token", "--scope", "profile"),
                        installed.project, installed.environment(), timeout=120).strip()
            me = get(port, "/me", headers={"Authorization": f"Bearer {token}"})
            assert me.status == 200, describe(me, log_path)
            assert me.json() == {"subject": "developer", "scopes": ["profile"]}, (
                describe(me, log_path))


def gunicorn_environment(installed, port, runtime_dir, **extra):
    # gunicorn puts a control socket in XDG_RUNTIME_DIR (else ~/.gunicorn): give each server
    # its own, so that runs in parallel do not share one.
    return installed.environment(HOST="127.0.0.1", PORT=str(port), WEB_CONCURRENCY="2",
                                 XDG_RUNTIME_DIR=str(runtime_dir), **extra)


def check_gunicorn_stops_on_a_configuration_error_with_one_line(installed, answers, log_path):
    settings = production_env(answers)
    variable, missing = "MY_SERVICE_SETTINGS", log_path.parent / "missing.toml"
    settings[variable] = str(missing)
    temporary = log_path.parent / "failed-start-tmp"  # where a metrics directory would be made
    temporary.mkdir()
    env = gunicorn_environment(installed, free_port(), log_path.parent, TMPDIR=str(temporary),
                               **settings)
    with started(installed.command("gunicorn"), installed.project, env, log_path) as process:
        try:
            process.wait(timeout=STARTUP_TIMEOUT)
        except subprocess.TimeoutExpired:
            pytest.fail(f"gunicorn still running after {STARTUP_TIMEOUT} s with {variable} "
                        f"naming no file:\n{log_path.read_text()}")
    output = log_path.read_text()
    assert process.returncode != 0, output
    assert [line for line in output.splitlines() if line.strip()] == [
        f"Error: configuration error: {variable}={missing} cannot be read: Unable to load "
        "configuration file (No such file or directory)"], output
    assert not list(temporary.iterdir()), "a failed start left its temporary files behind"


def check_gunicorn_serves_with_production_settings(installed, answers, log_path):
    port = free_port()
    temporary = log_path.parent / "served-tmp"  # where the metrics directory is made
    temporary.mkdir()
    env = gunicorn_environment(installed, port, log_path.parent, TMPDIR=str(temporary),
                               **production_env(answers))
    with serving(installed.command("gunicorn"), installed.project, env, port, log_path):
        metrics = any(installed.project.glob("src/*/metrics.py"))
        assert len(list(temporary.glob("*-metrics-*"))) == metrics, list(temporary.iterdir())
        health = get(port, "/healthz", headers={"X-Request-ID": "e2e-request-42"})
        assert health.status == 200, describe(health, log_path)
        assert health.json() == {"status": "ok"}, describe(health, log_path)
        assert health.headers["X-Request-ID"] == "e2e-request-42", describe(health, log_path)
        access = access_line(log_path, "e2e-request-42")
    # gunicorn's real access log atoms, as fields of their own
    assert {key: access.get(key) for key in ("method", "path", "status", "request_id")} == {
        "method": "GET", "path": "/healthz", "status": 200, "request_id": "e2e-request-42"}, access
    assert access["bytes"] > 0 and access["duration_ms"] >= 0 and access["message"] == (
        "GET /healthz 200"), access
    assert not list(temporary.iterdir()), "the stopped server left its metrics directory"


def access_line(log_path, request_id, seconds=10):
    """The JSON access log line of the request with ``request_id``: gunicorn writes it once the
    response has gone, so wait for it a little."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for line in log_path.read_text().splitlines():
            if line.startswith("{") and f'"request_id": "{request_id}"' in line:
                record = json.loads(line)
                if record.get("name") == "gunicorn.access":
                    return record
        time.sleep(0.1)
    pytest.fail(f"no access log line for {request_id}:\n{log_path.read_text()[-3000:]}")


def readme_commands(project, heading):
    """The first indented block after ``heading`` in the generated README: commands to run."""
    lines = (project / "README.md").read_text().splitlines()
    start = lines.index(heading)
    block = []
    for line in lines[start + 1:]:
        if line.startswith("    "):
            block.append(line[4:])
        elif block:
            break
    assert block, f"no commands under {heading}"
    return block


def check_readme_production_commands_serve(installed, log_path):
    """The README's gunicorn commands, as they are, in a shell of the project's folder: every
    setting production requires is in them (and the database migrated), so it starts ready."""
    commands = readme_commands(installed.project, "### gunicorn")
    assert commands[-1] == "gunicorn", commands
    port = free_port()
    env = gunicorn_environment(installed, port, log_path.parent)
    script = "set -e\n" + "\n".join(commands) + "\n"
    with serving(["bash", "-c", script], installed.project, env, port, log_path):
        ready = get(port, "/readyz")
        assert ready.status == 200, describe(ready, log_path)
        assert get(port, "/").status == 200, describe(ready, log_path)


@pytest.mark.parametrize("answers", [pytest.param(answers, id=name)
                                     for name, answers in COMBINATIONS])
def test_installs_tests_and_serves_as_a_user_would(cookies, answers, tmp_path):
    installed = install_in_fresh_venv(bake_ok(cookies, **answers))
    check_generated_tox_passes(installed)
    check_flask_routes_finds_the_app_through_flaskenv(installed)
    check_flask_run_answers_health_and_problem_json(installed, tmp_path / "flask-run.log")
    check_gunicorn_stops_on_a_configuration_error_with_one_line(installed, answers,
                                                                tmp_path / "no-settings.log")
    check_gunicorn_serves_with_production_settings(installed, answers, tmp_path / "gunicorn.log")
    check_readme_production_commands_serve(installed, tmp_path / "readme-gunicorn.log")
