"""The Docker image of the default and the all-options render, built and run with podman.

Each render's image is built from its own Dockerfile (on a stand-in of the python base image,
see containers.py) and run as the generated README's `docker run` line says, hardened:
read-only root, a tmpfs on /tmp, the port published on 127.0.0.1 only. Then, with real requests
over the published port: it runs as the unprivileged user, the HEALTHCHECK reports healthy,
health, readiness and the service's own endpoints answer JSON, SIGTERM lets requests in flight
finish and the container exits 0, the image holds the installed package and nothing of the build
context it must not, and a missing secret key stops it with one line. The steps run in one test
per render so that the image is built once, whichever xdist worker takes it.
"""

import json
import os
import re
import shlex
import socket
import threading
import time
import tomllib
import urllib.error
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from .conftest import bake_ok, production_env
from .containers import (build_image, image_files, inspect_image, podman, python_image,
                         remove_images, running, unique_name)
from .options import ALL_ON
from .served import AUDIENCE, ISSUER, PACKAGE, settings

pytestmark = pytest.mark.end_to_end

# (test id, answers)
RENDERS = [
    ("defaults", {}),
    ("all-on", ALL_ON),
]

APP_UID = 10001
WORKERS = 3
STARTUP_SECONDS = 60
STOP_TIMEOUT = 35  # podman stop -t: SIGKILL after this many seconds
HTTP_TIMEOUT = 10
# Talk to the published port directly, whatever proxy the environment names.
HTTP = urllib.request.build_opener(urllib.request.ProxyHandler({}))
DATA = "/data"  # where the all-on render's SQLite file lives, a folder shared by containers
# Files a developer has in the project folder that must not reach the image.
PLANTED = {
    ".env": "POSTGRES_PASSWORD=planted-in-the-build-context\n",
    f"instance/{PACKAGE}.sqlite": "a development database\n",
}

# Run inside the container: every process as [pid, real uid, command line].
PROCESSES = """
import json, os
rows = []
for pid in filter(str.isdigit, os.listdir("/proc")):
    try:
        status = open(f"/proc/{pid}/status").read()
        cmdline = open(f"/proc/{pid}/cmdline", "rb").read().split(b"\\0")
    except OSError:
        continue
    uid = int(status.split("Uid:")[1].split()[0])
    rows.append([int(pid), uid, [part.decode() for part in cmdline if part]])
print(json.dumps(rows))
"""

# Run inside the container: how many children of PID 1 (gunicorn workers) hold an established
# connection on port 8000, that is, have accepted one and are reading or answering it.
CONNECTIONS_IN_WORKERS = """
import os
established = set()
for table in ("/proc/net/tcp", "/proc/net/tcp6"):
    for line in open(table).readlines()[1:]:
        fields = line.split()
        if fields[1].endswith(":1F40") and fields[3] == "01":
            established.add(f"socket:[{fields[9]}]")
busy = 0
for pid in filter(str.isdigit, os.listdir("/proc")):
    try:
        if open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[1] != "1":
            continue
        links = {os.readlink(f"/proc/{pid}/fd/{fd}") for fd in os.listdir(f"/proc/{pid}/fd")}
    except OSError:
        continue
    busy += len(links & established)
print(busy)
"""


@dataclass
class Image:
    tag: str
    project: Path
    answers: dict


@dataclass
class Service:
    container: object
    port: int
    signing_key: ec.EllipticCurvePrivateKey = field(repr=False)

    def token(self, scope):
        now = int(time.time())
        claims = {"iss": ISSUER, "aud": AUDIENCE, "sub": "template-tests", "iat": now,
                  "nbf": now, "exp": now + 600, "scope": scope}
        return jwt.encode(claims, self.signing_key, algorithm="ES256")


def request(port, path, method="GET", body=None, headers=None):
    """(status, Content-Type, parsed JSON body) of one request to the published port."""
    data = json.dumps(body).encode() if body is not None else None
    headers = {**({"Content-Type": "application/json"} if data else {}), **(headers or {})}
    outgoing = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data,
                                      method=method, headers=headers)
    try:
        with HTTP.open(outgoing, timeout=HTTP_TIMEOUT) as response:
            status, content_type, raw = (response.status, response.headers["Content-Type"],
                                         response.read())
    except urllib.error.HTTPError as error:
        status, content_type, raw = error.code, error.headers["Content-Type"], error.read()
    return status, content_type, json.loads(raw)


def dockerfile_python(project):
    """The default of the Dockerfile's PYTHON_VERSION argument: the base image it builds on."""
    text = (project / "Dockerfile").read_text(encoding="utf-8")
    found = re.search(r"^ARG PYTHON_VERSION=(\S+)$", text, re.MULTILINE)
    assert found, "the Dockerfile has no ARG PYTHON_VERSION=..."
    return found.group(1)


def uses_database(answers):
    return answers.get("database") == "sqlalchemy"


def environment(answers, signing_key):
    """The settings production needs with these answers; bearer tokens signed with the key."""
    if answers.get("auth") == "jwt" or uses_database(answers):
        env = settings(signing_key, f"{DATA}/service.sqlite")
        return {name: value for name, value in env.items()
                if uses_database(answers) or name != "FLASK_SQLALCHEMY_DATABASE_URI"}
    return production_env(answers)


def readme_run_options(project):
    """The options of the README's `docker run` line that serves (the one that publishes a
    port), less those the test gives itself: --rm, -p (a free port) and -e (the settings)."""
    readme = (project / "README.md").read_text(encoding="utf-8")
    lines = [line.strip() for line in readme.splitlines()
             if line.strip().startswith("docker run ") and " -p " in line]
    assert len(lines) == 1, f"not one `docker run -p` line in the README: {lines}"
    words = iter(shlex.split(lines[0])[2:-1])  # the last word is the image
    options = []
    for word in words:
        if word in ("-p", "-e"):
            value = next(words)
            assert word == "-e" or value.endswith(":8000"), f"not the container's port: {value}"
        elif word != "--rm":
            options.append(word)
    assert "--read-only" in options and "/tmp" in options, \
        f"the README's `docker run` line is not hardened (--read-only --tmpfs /tmp): {lines[0]}"
    return options


def run_options(image, env):
    """The README's `docker run` options with these settings."""
    settings_args = [arg for name, value in env.items() for arg in ("-e", f"{name}={value}")]
    return [*readme_run_options(image.project), *settings_args]


@contextmanager
def serving(image, tmp_path):
    """The image running with production settings (migrated first when it has a database),
    answering on a port published on 127.0.0.1; removed at the end."""
    signing_key = ec.generate_private_key(ec.SECP256R1())
    options = run_options(image, environment(image.answers, signing_key))
    if uses_database(image.answers):
        options += shared_data_folder(tmp_path)
        podman("run", "--rm", "--name", unique_name(), *options, image.tag,
               "flask", "--app", PACKAGE, "db", "upgrade")
    with running(image.tag, *options, "-e", f"WEB_CONCURRENCY={WORKERS}",
                 "-p", "127.0.0.1::8000") as container:
        port = container.published_port()
        wait_until_answering(container, port)
        yield Service(container, port, signing_key)


def shared_data_folder(tmp_path):
    """A folder of the app user's, mounted at DATA: the migration's container and the
    service's share the SQLite file in it."""
    data = tmp_path / "data"
    data.mkdir()
    os.chown(data, APP_UID, APP_UID)
    return ["-v", f"{data}:{DATA}"]


def wait_until_answering(container, port):
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if container.state()["Status"] != "running":
            pytest.fail(f"the container stopped before answering:\n{container.logs()[-4000:]}")
        try:
            if request(port, "/healthz")[0] == 200:
                return
        except (OSError, ValueError):
            pass
        time.sleep(0.3)
    pytest.fail(f"no answer on /healthz after {STARTUP_SECONDS} s:\n{container.logs()[-4000:]}")


def plant_development_files(project):
    for relative, text in PLANTED.items():
        path = project / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert (project / ".flaskenv").is_file() and (project / "tests").is_dir()


@pytest.fixture(params=[answers for _, answers in RENDERS], ids=[name for name, _ in RENDERS])
def image(request, cookies_session):
    project = bake_ok(cookies_session, **request.param)
    plant_development_files(project)
    python_image(dockerfile_python(project))
    tag = build_image(project, f"localhost/template-tests/{unique_name()}:latest")
    try:
        yield Image(tag, project, request.param)
    finally:
        remove_images(tag)


def test_image_runs_as_the_readme_says(image, tmp_path):
    check_contents(image)
    check_locked_versions(image)
    check_healthcheck_survived_the_build(image)
    check_a_configuration_error_stops_it_with_one_line(image)
    with serving(image, tmp_path) as service:
        check_unprivileged_and_read_only(service.container)
        check_healthy(service.container)
        check_endpoints(service, image.answers)
        check_sigterm_lets_requests_in_flight_finish(service)


def test_a_lock_that_pyproject_has_moved_away_from_stops_the_build(cookies_session):
    project = bake_ok(cookies_session)
    pyproject = project / "pyproject.toml"
    text = pyproject.read_text(encoding="utf-8")
    assert text.count("dependencies = [\n") == 1, text
    added = 'dependencies = [\n    "humanize>=4.9",\n'  # without `uv lock`
    pyproject.write_text(text.replace("dependencies = [\n", added), encoding="utf-8")
    python_image(dockerfile_python(project))
    tag = f"localhost/template-tests/{unique_name()}:latest"
    try:
        build = build_image(project, tag, check=False)
    finally:
        remove_images(tag)
    output = build.stdout + build.stderr
    assert build.returncode != 0, "an image was built from a stale uv.lock"
    assert "needs to be updated" in output and "uv lock" in output, output[-3000:]


# The checks, in the order the test runs them ---------------------------------------------------

def check_contents(image):
    """The package installed into site-packages; no source tree, tests, .env, .flaskenv or
    database from the build context."""
    files = image_files(image.tag)
    names = {PurePosixPath(path).name for path in files}
    installed = [path for path in files
                 if re.search(rf"/(site|dist)-packages/{PACKAGE}/__init__\.py$", path)]
    assert installed, f"{PACKAGE} is not installed in site-packages or dist-packages"
    assert any(re.search(rf"/(site|dist)-packages/{PACKAGE}-[^/]+\.dist-info/RECORD$", path)
               for path in files), f"{PACKAGE} is not installed from a wheel"
    assert not [path for path in files if path == "src" or path.startswith("src/")], \
        "the build stage's source tree /src is in the image"
    assert not {".env", ".flaskenv"} & names, "a .env or .flaskenv file is in the image"
    assert not [path for path in files if path.endswith(".sqlite")], "a database is in the image"
    editable = [path for path in files if "__editable__" in path or path.endswith(".egg-link")]
    assert not editable, f"an editable install points at a source tree: {editable}"
    test_files = {path.name for path in (image.project / "tests").glob("*.py")}
    copied_tests = [path for path in files if PurePosixPath(path).parent.name == "tests"
                    and PurePosixPath(path).name in test_files]
    assert not copied_tests, f"the project's tests are in the image: {copied_tests}"
    assert [path for path in files if path.startswith("app/")] == ["app/gunicorn.conf.py"], \
        "WORKDIR /app holds more than gunicorn.conf.py"


# Run inside the container: {name: version} of every distribution the service's Python sees.
DISTRIBUTIONS = """
import json
from importlib.metadata import distributions
print(json.dumps({d.metadata["Name"].lower().replace("_", "-").replace(".", "-"): d.version
                  for d in distributions()}))
"""


def check_locked_versions(image):
    """Every distribution in the image is at the version uv.lock pins: nothing was resolved."""
    lock = tomllib.loads((image.project / "uv.lock").read_text(encoding="utf-8"))
    locked = {package["name"]: package.get("version") for package in lock["package"]}
    result = podman("run", "--rm", "--network", "none", image.tag, "python", "-c", DISTRIBUTIONS)
    installed = json.loads(result.stdout)
    assert "flask" in installed and "gunicorn" in installed, installed
    unlocked = {name: version for name, version in installed.items()
                if name not in locked or locked[name] not in (None, version)}
    assert not unlocked, f"installed in the image but not as uv.lock pins them: {unlocked}"
    assert "pytest" not in installed and "flake8" not in installed, "test or lint tools installed"


def check_healthcheck_survived_the_build(image):
    healthcheck = inspect_image(image.tag).get("Healthcheck") or {}
    test = healthcheck.get("Test") or []
    assert test[:1] == ["CMD"] and any("/healthz" in part for part in test), \
        f"the image has no HEALTHCHECK on /healthz (built without --format docker?): {healthcheck}"


def check_a_configuration_error_stops_it_with_one_line(image):
    env = environment(image.answers, ec.generate_private_key(ec.SECP256R1()))
    settings = f"{PACKAGE.upper()}_SETTINGS"
    env[settings] = "/nowhere/settings.toml"
    with running(image.tag, *run_options(image, env)) as container:
        exit_code = container.wait_exited(STARTUP_SECONDS)
        logs = container.logs()
    assert exit_code != 0, f"started with {settings} naming no file:\n{logs[-4000:]}"
    lines = [line for line in logs.splitlines()
             if f"configuration error: {settings}=/nowhere/settings.toml cannot be read" in line]
    assert len(lines) == 1 and "Traceback" not in logs, logs[-4000:]


def check_unprivileged_and_read_only(container):
    processes = json.loads(container.exec("python", "-c", PROCESSES).stdout)
    [(_, _, pid1_command)] = [row for row in processes if row[0] == 1]
    assert PurePosixPath(pid1_command[1 if "python" in pid1_command[0] else 0]).name == \
        "gunicorn", f"PID 1 is not gunicorn (so SIGTERM would not reach it): {pid1_command}"
    assert {uid for _, uid, _ in processes} == {APP_UID}, processes

    as_root = container.exec("touch", "/app/written", user=0, check=False)
    assert as_root.returncode != 0 and "Read-only file system" in as_root.stderr, \
        f"the root file system is writable: {as_root}"
    container.exec("touch", "/tmp/written")
    mounts = [line.split() for line in container.exec("cat", "/proc/mounts").stdout.splitlines()]
    assert [fstype for _, point, fstype, *_ in mounts if point == "/tmp"] == ["tmpfs"], mounts


def check_healthy(container):
    check = container.healthcheck()
    assert check.returncode == 0, f"unhealthy: {check.stdout}{check.stderr}"
    healthcheck = json.loads(container.inspect("{{json .Config.Healthcheck}}"))
    assert "/healthz" in " ".join(healthcheck["Test"]), healthcheck


def check_endpoints(service, answers):
    for path in ("/healthz", "/readyz", "/"):
        status, content_type, body = request(service.port, path)
        assert status == 200 and content_type.startswith("application/json"), (path, body)
    assert body["service"] == "My Service", body
    if uses_database(answers):
        check_items(service)


def check_items(service):
    headers = {"Authorization": f"Bearer {service.token('items:write')}"}
    status, _, created = request(service.port, "/items", "POST", {"name": "in a container"},
                                 headers)
    assert status == 201, created
    status, _, read = request(service.port, f"/items/{created['id']}")
    assert status == 200 and read["name"] == "in a container", read


def check_sigterm_lets_requests_in_flight_finish(service):
    """Requests whose headers trickle in, one for each worker, are being read when `podman stop`
    sends SIGTERM to gunicorn (PID 1); each is then answered, and the container exits 0."""
    container = service.container
    clients = [socket.create_connection(("127.0.0.1", service.port), timeout=HTTP_TIMEOUT)
               for _ in range(WORKERS)]
    try:
        for client in clients:
            client.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        wait_for(lambda: connections_in_workers(container) == WORKERS,
                 "every request taken by a worker")
        stop = Stopper(container.name)
        stop.start()
        wait_for(lambda: "Handling signal: term" in container.logs(), "SIGTERM to gunicorn")
        # podman says "stopping" from SIGTERM until the container has exited.
        assert container.state()["Status"] in ("running", "stopping"), container.logs()[-4000:]
        for number, client in enumerate(clients):
            client.sendall(b"X-Request-ID: in-flight-%d\r\n\r\n" % number)
        statuses = [response_status(client) for client in clients]
        stop.join(STOP_TIMEOUT + 30)
    finally:
        for client in clients:
            client.close()
    logs = container.logs()
    print(f"\npodman stop -t {STOP_TIMEOUT} with {WORKERS} requests in flight: {statuses}, "
          f"stopped after {stop.elapsed:.1f} s")
    assert statuses == [200] * WORKERS, f"{statuses}\n{logs[-4000:]}"
    assert stop.result is not None and stop.result.returncode == 0, stop.result
    assert container.inspect("{{.State.ExitCode}}") == "0", logs[-4000:]
    # A worker that had to be killed at the end of the grace period logs no exit of its own.
    assert logs.count("Worker exiting") == WORKERS, logs[-4000:]


class Stopper(threading.Thread):
    """`podman stop -t STOP_TIMEOUT` in the background, timed."""

    def __init__(self, name):
        super().__init__(daemon=True)
        self.name_to_stop = name
        self.result = None
        self.elapsed = None

    def run(self):
        started = time.monotonic()
        self.result = podman("stop", "-t", STOP_TIMEOUT, self.name_to_stop, check=False,
                             timeout=STOP_TIMEOUT + 30)
        self.elapsed = time.monotonic() - started


def connections_in_workers(container):
    """Connections to port 8000 that gunicorn's workers hold (a worker takes several)."""
    return int(container.exec("python", "-c", CONNECTIONS_IN_WORKERS).stdout)


def response_status(client):
    """The status of the whole response read from a socket, or what went wrong."""
    received = b""
    try:
        while chunk := client.recv(65536):
            received += chunk
    except OSError as error:
        return f"{type(error).__name__} after {len(received)} bytes"
    head = received.split(b"\r\n", 1)[0].split()
    return int(head[1]) if len(head) > 1 and head[1].isdigit() else f"no status: {received!r}"


def wait_for(condition, what, seconds=20):
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"no {what} after {seconds} s"
        time.sleep(0.2)
