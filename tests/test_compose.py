"""The compose stack of a rendered service run for real: web, migrate and PostgreSQL.

As the generated README says: secrets in `.env`, `docker compose up --build`. Docker Compose v2
drives podman's Docker API (compose_stack.py), with a PostgreSQL 17 stand-in under the official
image's name (containers.postgres_image). First compose must refuse to start without each
required secret; then, over the published port: the database turns healthy, migrate exits 0
before web starts, web's healthcheck, readiness, health and the example resource answer; with
the database stopped, readiness and /items answer 503 problem+json naming it, and once it is
started again the service is ready with its data kept; `down -v` leaves nothing of the project.
With auth=jwt, writes need a token: the test is the issuer, and a `jwks` service added to the
stack serves its key to web. Each failure prints the stack's containers and logs.

compose.yaml publishes web on 127.0.0.1:${WEB_PORT:-8000}; the stack tests use the default, as
the README's command does, and hold that port through containers.host_port (one user at a time
across xdist workers), failing at once when a process outside the tests holds it.
"""

import json
import re
import secrets
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from datetime import datetime

import jwt
import pytest
import yaml
from cryptography.hazmat.primitives.asymmetric import ec
from jwt.algorithms import ECAlgorithm

from .compose_stack import (build_args_for_the_proxy, compose_stack,
                            exec_form_healthchecks_as_shell, healthchecks_driven)
from .conftest import bake_ok
from .containers import (Container, docker_api, host_port, nginx_image, postgres_image,
                         python_image, redis_image, remove_images)
from .deployment import compose_required_variables
from .processes import (SLOW_CLIENTS, SLOW_CLIENTS_ARGUMENTS,
                        assert_answering_under_slow_clients)
from .served import AUDIENCE, ISSUER

pytestmark = pytest.mark.end_to_end

# (test id, answers)
RENDERS = [
    ("sqlalchemy", {"database": "sqlalchemy"}),
    ("sqlalchemy-jwt-rate_limits", {"database": "sqlalchemy", "auth": "jwt",
                                    "use_rate_limits": True}),
]

PORT = 8000
HTTP_TIMEOUT = 10
DATABASE_GONE_SECONDS = 40
UP_TIMEOUT = 900  # the first build downloads every dependency's wheel
READY_SECONDS = 90
NOT_READY_SECONDS = 30
INITIALISATION_SECONDS = 60
JWKS_PORT = 8080  # inside the stack's network only
PROBLEM_JSON = "application/problem+json"
# Talk to the published port directly, whatever proxy the environment names.
HTTP = urllib.request.build_opener(urllib.request.ProxyHandler({}))


@dataclass
class Response:
    status: int
    content_type: str
    headers: object
    body: object


def request(path, method="GET", body=None, token=None, timeout=HTTP_TIMEOUT):
    """One request to the published port; None when no HTTP answer came back."""
    data = json.dumps(body).encode() if body is not None else None
    headers = {**({"Content-Type": "application/json"} if data else {}),
               **({"Authorization": f"Bearer {token}"} if token else {})}
    outgoing = urllib.request.Request(f"http://127.0.0.1:{PORT}{path}", data=data,
                                      method=method, headers=headers)
    try:
        with HTTP.open(outgoing, timeout=timeout) as answer:
            status, headers, raw = answer.status, answer.headers, answer.read()
    except urllib.error.HTTPError as error:
        status, headers, raw = error.code, error.headers, error.read()
    except (urllib.error.URLError, OSError):
        return None
    return Response(status, headers.get("Content-Type", ""), headers,
                    json.loads(raw) if raw else None)


def answered(path, method="GET", body=None, token=None, timeout=HTTP_TIMEOUT):
    response = request(path, method, body, token, timeout)
    assert response is not None, f"{method} {path}: no HTTP answer on 127.0.0.1:{PORT}"
    return response


def poll(path, done, seconds):
    """GET ``path`` until ``done(response)``; the last response (None: never answered)."""
    deadline = time.monotonic() + seconds
    while True:
        response = request(path)
        if (response is not None and done(response)) or time.monotonic() >= deadline:
            return response
        time.sleep(0.5)


def assert_problem(response, status, what):
    assert response.status == status, f"{what}: {response}"
    assert response.content_type == PROBLEM_JSON, f"{what}: {response}"
    assert response.body["status"] == status, f"{what}: {response}"


@pytest.fixture(scope="module")
def docker_host():
    with docker_api() as host:
        yield host


def project_name():
    return f"template-tests-{secrets.token_hex(4)}"


def write_env(project, **values):
    """`.env` next to compose.yaml, as the README says; values made here, never literals."""
    lines = [f"{name}={value}\n" for name, value in values.items()]
    (project / ".env").write_text("".join(lines), encoding="utf-8")


def fresh_secrets():
    # POSTGRES_PASSWORD is part of the database URL: compose.yaml asks for a URL-safe one.
    return {"POSTGRES_PASSWORD": secrets.token_hex(16)}


@dataclass
class Issuer:
    """An identity provider of the test's own: it signs tokens, and a `jwks` service added to
    the stack serves its public key to web over the stack's network."""
    key: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP256R1()), repr=False)
    key_id: str = field(default_factory=lambda: secrets.token_hex(8))

    def token(self, scope):
        now = int(time.time())
        claims = {"iss": ISSUER, "aud": AUDIENCE, "sub": "template-tests", "iat": now,
                  "nbf": now, "exp": now + 600, "scope": scope}
        return jwt.encode(claims, self.key, algorithm="ES256", headers={"kid": self.key_id})

    def jwks(self):
        key = ECAlgorithm.to_jwk(self.key.public_key(), as_dict=True)
        return {"keys": [{**key, "kid": self.key_id, "alg": "ES256", "use": "sig"}]}


def add_jwks_service(project, issuer, python):
    """An override file adding a `jwks` service (the python image's http.server) that serves
    the issuer's JWKS document; its name and the settings pointing web at it."""
    folder = project / "jwks"
    folder.mkdir()
    (folder / "jwks.json").write_text(json.dumps(issuer.jwks()), encoding="utf-8")
    service = {"image": python, "read_only": True, "volumes": ["./jwks:/jwks:ro"],
               "command": ["python", "-m", "http.server", str(JWKS_PORT), "--directory", "/jwks"]}
    name = "compose.jwks.yaml"
    (project / name).write_text(yaml.safe_dump({"services": {"jwks": service}}),
                                encoding="utf-8")
    return name, {"FLASK_JWT_ISSUER": ISSUER, "FLASK_JWT_AUDIENCE": AUDIENCE,
                  "FLASK_JWT_JWKS_URL": f"http://jwks:{JWKS_PORT}/jwks.json"}


def base_images(project):
    """The stand-ins of the images compose.yaml's services start from, made if missing; the
    python one's name."""
    dockerfile = (project / "Dockerfile").read_text(encoding="utf-8")
    python = python_image(re.search(r"^ARG PYTHON_VERSION=(\S+)$", dockerfile, re.MULTILINE)[1])
    postgres_image()
    nginx_image()
    redis_image()
    return python


def built_image(project):
    """The full name of the image compose builds for web and migrate."""
    compose = yaml.safe_load((project / "compose.yaml").read_text(encoding="utf-8"))
    image = compose["services"]["web"]["image"]
    return f"docker.io/library/{image}:latest" if "/" not in image else image


@pytest.mark.parametrize("answers", [answers for _, answers in RENDERS],
                         ids=[test_id for test_id, _ in RENDERS])
def test_stack(cookies, docker_host, answers):
    project = bake_ok(cookies, **answers)
    python = base_images(project)
    with host_port(PORT):
        try:
            run_stack(project, project_name(), docker_host, python, answers)
        finally:
            remove_images(built_image(project))


def run_stack(project, name, docker_host, python, answers):
    files = ["compose.yaml", build_args_for_the_proxy(project),
             *filter(None, [exec_form_healthchecks_as_shell(project)])]
    settings = fresh_secrets()
    issuer = Issuer() if answers.get("auth") == "jwt" else None
    if issuer:
        override, jwt_settings = add_jwks_service(project, issuer, python)
        files.append(override)
        settings.update(jwt_settings)
    with compose_stack(project, name, docker_host, files) as stack:
        refuses_without_secrets(stack, project)
        write_env(project, **settings)
        with healthchecks_driven(name):
            stack.compose("up", "--detach", "--build", timeout=UP_TIMEOUT)
            location = serves(stack, issuer)
            if answers.get("use_rate_limits"):
                rate_limits_count_in_redis(stack)
            survives_a_database_restart(stack, location)
        volume = f"{name}_database"
        assert volume in stack.leftovers()["volume"], f"no named volume {volume}"
        stack.compose("down", "--volumes", "--timeout", "10")
        assert not any(stack.leftovers().values()), f"left after down -v: {stack.leftovers()}"


def refuses_without_secrets(stack, project):
    """Compose stops before creating anything when a required variable is missing, naming it."""
    required = compose_required_variables(project)
    assert {"POSTGRES_PASSWORD"} <= set(required), required
    values = fresh_secrets()
    for missing in required:
        write_env(project, **{name: values[name] for name in required if name != missing})
        refused = stack.compose("up", "--detach", check=False)
        assert refused.returncode != 0, f"compose started without {missing}:\n{refused.stdout}"
        assert f"set {missing} in your shell or in .env" in refused.stderr, refused.stderr
    assert not any(stack.leftovers().values()), f"a refused start left {stack.leftovers()}"


def serves(stack, issuer):
    """The stack as `up` leaves it, then the service's endpoints (writes with a token from
    ``issuer`` when the render has auth); the location of the item made."""
    services = stack.services()
    assert services["db"]["State"] == "running" and services["db"]["Health"] == "healthy", \
        services["db"]
    assert services["migrate"]["State"] == "exited", services["migrate"]
    assert services["migrate"]["ExitCode"] == 0, services["migrate"]
    assert services["web"]["State"] == "running", services["web"]
    assert services["proxy"]["State"] == "running", services["proxy"]
    migrated = state_time(stack, "migrate", "FinishedAt")
    assert state_time(stack, "web", "StartedAt") >= migrated, "web started before migrate ended"

    ready = poll("/readyz", lambda response: response.status == 200, READY_SECONDS)
    assert ready is not None and ready.status == 200, f"/readyz never 200: {ready}"
    assert ready.body == {"status": "ready"}, ready
    health = answered("/healthz")
    assert (health.status, health.body) == (200, {"status": "ok"}), health
    assert health.headers["Server"] == "nginx", f"not answered through the proxy: {health}"
    checked = stack.compose("exec", "-T", "proxy", "nginx", "-t", "-e", "stderr", "-c",
                            "/etc/nginx/service/nginx.conf")
    assert "test is successful" in checked.stderr, checked.stderr
    slow_clients_leave_the_stack_answering()
    web_check = Container(stack.container("web")).healthcheck()
    assert web_check.returncode == 0, f"web's healthcheck: {web_check.stdout}{web_check.stderr}"

    item = {"name": "made by compose", "description": "kept"}
    token = None
    if issuer:
        refused = answered("/items", "POST", item)
        assert_problem(refused, 401, "POST /items without a token")
        assert refused.headers["WWW-Authenticate"].startswith("Bearer"), refused.headers
        token = issuer.token("items:write")
    created = answered("/items", "POST", item, token)
    assert created.status == 201, created
    location = created.headers["Location"]
    read = answered(location)
    assert (read.status, read.body) == (200, created.body), read
    listed = answered("/items")
    assert listed.status == 200 and created.body in listed.body["items"], listed
    return location


def slow_clients_leave_the_stack_answering():
    # Ordinary requests to an exempt route: from one address, they would exceed its rate limit.
    measured = subprocess.run([sys.executable, SLOW_CLIENTS, str(PORT), *SLOW_CLIENTS_ARGUMENTS,
                               "--path", "/healthz"], capture_output=True, text=True, timeout=120)
    assert measured.returncode == 0, measured.stderr
    assert_answering_under_slow_clients(measured.stdout)


def rate_limits_count_in_redis(stack):
    """Requests past RATELIMIT_DEFAULT get 429 problem+json, counted in the stack's Redis; with
    Redis stopped the service serves on (RATELIMIT_IN_MEMORY_FALLBACK_ENABLED)."""
    answers = [answered("/") for _ in range(101)]
    assert [answer.status for answer in answers] == [200] * 100 + [429], answers
    limited = answers[-1]
    assert_problem(limited, 429, "GET / past the rate limit")
    assert limited.headers["RateLimit-Limit"] == "100", limited.headers
    assert int(limited.headers["Retry-After"]) > 0, limited.headers
    keys = stack.compose("exec", "-T", "redis", "redis-cli", "--scan", "--pattern",
                         "*my_service/*")
    assert keys.stdout.strip(), "no rate limit key in the stack's Redis"
    stack.compose("stop", "redis")
    try:
        assert answered("/items").status == 200, "not served with Redis stopped"
    finally:
        stack.compose("start", "redis")


def state_time(stack, service, moment):
    """When the service's container started or finished (StartedAt, FinishedAt)."""
    return datetime.fromisoformat(Container(stack.container(service)).state()[moment])


def survives_a_database_restart(stack, location):
    stack.compose("stop", "db")
    assert stack.services()["db"]["State"] == "exited", stack.services()["db"]

    not_ready = poll("/readyz", lambda response: response.status != 200, NOT_READY_SECONDS)
    assert not_ready is not None, "/readyz: no answer with the database stopped"
    assert_problem(not_ready, 503, "/readyz with the database stopped")
    assert not_ready.body["check"] == "database", not_ready
    assert "database" in not_ready.body["detail"], not_ready
    # Finding that a stopped container's address is gone can take the service several connect
    # and name-lookup timeouts: wait as long as nginx would (proxy_read_timeout).
    assert_problem(answered("/items", timeout=DATABASE_GONE_SECONDS), 503,
                   "GET /items with the database stopped")
    health = answered("/healthz")
    assert health.status == 200, f"liveness depends on the database: {health}"

    stack.compose("start", "db")
    ready = poll("/readyz", lambda response: response.status == 200, READY_SECONDS)
    assert ready is not None and ready.status == 200, f"/readyz after the restart: {ready}"
    kept = answered(location)
    assert kept.status == 200 and kept.body["name"] == "made by compose", kept


def test_database_healthy_only_once_initialised(cookies, docker_host):
    """db's healthcheck fails while the image's entry point initialises an empty volume.

    The official image runs its first-start work (initdb, the database, the scripts of
    /docker-entrypoint-initdb.d) on a server that listens on no TCP port and is stopped again
    afterwards; a check that passes then lets migrate start against a server about to go away.
    A slow initialisation script keeps that phase open long enough to probe it.
    """
    project = bake_ok(cookies, database="sqlalchemy")
    postgres_image()
    write_env(project, **fresh_secrets())
    scripts = project / "initdb"
    scripts.mkdir()
    (scripts / "slow.sh").write_text(
        'echo "slow initialisation: started"\nsleep 10\necho "slow initialisation: done"\n',
        encoding="utf-8")
    override = "compose.initdb.yaml"
    (project / override).write_text(yaml.safe_dump({"services": {"db": {"volumes": [
        "./initdb:/docker-entrypoint-initdb.d:ro"]}}}), encoding="utf-8")
    with compose_stack(project, project_name(), docker_host,
                       files=("compose.yaml", override)) as stack:
        stack.compose("up", "--detach", "db")
        db = Container(stack.container("db"))
        wait_for_log(db, "slow initialisation: started")
        early = db.healthcheck()
        assert early.returncode != 0, (
            "db's healthcheck passed while the database was still being initialised (the "
            "temporary server answers on the socket only): check over TCP, e.g. pg_isready "
            "--host=127.0.0.1")
        wait_for_log(db, "init process complete")
        deadline = time.monotonic() + INITIALISATION_SECONDS
        while db.healthcheck().returncode != 0:
            assert time.monotonic() < deadline, f"db never healthy:\n{db.logs()[-4000:]}"
            time.sleep(1)


def wait_for_log(container, text):
    deadline = time.monotonic() + INITIALISATION_SECONDS
    while text not in container.logs():
        assert time.monotonic() < deadline, f"no {text!r} in the logs:\n{container.logs()}"
        time.sleep(0.5)
