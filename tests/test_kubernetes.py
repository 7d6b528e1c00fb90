"""The rendered deploy/ played as a pod by `podman kube play`, with the image built from the
rendered Dockerfile and a PostgreSQL server on the pod's network.

The Secret is the one the README's `kubectl create secret` makes (its database URL pointed at
the server started here); podman reads a Secret's keys from a podman secret holding them as
JSON with base64 values, as `data` is in Kubernetes. podman's translation of probes is not to be
trusted (named ports become 0), so the test calls /healthz and /readyz itself, from inside the
pod, where the probes would.
"""

import base64
import json
import secrets
import time

import pytest
import yaml

from .conftest import bake_ok
from .containers import (NGINX_TAG, REDIS_TAG, build_image, nginx_image, podman,
                         postgres_image, redis_image, remove_images, unique_name)
from .deployment import manifests, pod_spec, readme_config_maps, readme_secret
from .options import ALL_ON
from .processes import (SLOW_CLIENTS, SLOW_CLIENTS_ARGUMENTS,
                        assert_answering_under_slow_clients)

pytestmark = pytest.mark.end_to_end

WEB = "my-service-pod-0-web"  # the Deployment of the default project name, as podman names it
PROXY = "my-service-pod-0-proxy"
REDIS = "my-service-redis-pod-0-redis"
# The images of deploy/ that are not the service's, and the same names as podman wants them.
PUBLIC_IMAGES = {"nginx:1.28": NGINX_TAG, "redis:8": REDIS_TAG}
# podman names the Redis pod, not the Service that Kubernetes would resolve.
PLAYED_SETTINGS = {"FLASK_RATELIMIT_STORAGE_URI": "redis://my-service-redis-pod-0/0"}
STARTUP_SECONDS = 120
FETCH = """
import sys, urllib.error, urllib.request
try:
    response = urllib.request.urlopen(sys.argv[2] + sys.argv[1], timeout=float(sys.argv[3]))
except urllib.error.HTTPError as error:
    response = error
print(response.status)
print(response.read().decode())
"""


BURST = """
import sys, urllib.error, urllib.request
for _ in range(int(sys.argv[2])):
    try:
        print(urllib.request.urlopen("http://127.0.0.1:8000" + sys.argv[1], timeout=15).status)
    except urllib.error.HTTPError as error:
        print(error.code)
"""


def fetch(path, base="http://127.0.0.1:8000", timeout=15):
    """(status, JSON body) of a GET from inside the pod, or (None, why) before it answers;
    straight to gunicorn, or through the proxy with base http://127.0.0.1:8080."""
    result = podman("exec", WEB, "python", "-c", FETCH, path, base, timeout, check=False)
    if result.returncode != 0:
        return None, result.stderr[-500:]
    status, body = result.stdout.split("\n", 1)
    return int(status), json.loads(body)


def wait_for(path, status, what):
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        answer = fetch(path)
        if answer[0] == status:
            return answer[1]
        time.sleep(1)
    logs = podman("logs", WEB, check=False)
    pytest.fail(f"{what}: {path} answered {answer}\n{logs.stdout[-3000:]}{logs.stderr[-3000:]}")


def slow_clients_leave_the_pod_answering():
    """bench/slow_clients.py run in the web container against the proxy's port."""
    # Ordinary requests to an exempt route: from one address, they would exceed its rate limit.
    measured = podman("exec", "-i", WEB, "python", "-", "8080", *SLOW_CLIENTS_ARGUMENTS,
                      "--path", "/healthz", input=SLOW_CLIENTS.read_text())
    assert_answering_under_slow_clients(measured.stdout)


def rate_limits_count_in_redis():
    """A client's requests past RATELIMIT_DEFAULT get 429, counted in the Redis pod; with that
    Redis stopped the service serves on (RATELIMIT_IN_MEMORY_FALLBACK_ENABLED)."""
    burst = podman("exec", WEB, "python", "-c", BURST, "/", "101")  # in one window of a minute
    statuses = [int(status) for status in burst.stdout.split()]
    assert statuses == [200] * 100 + [429], statuses
    keys = podman("exec", REDIS, "redis-cli", "--scan", "--pattern", "*my_service/*").stdout
    assert keys.strip(), "no rate limit key in the Redis pod"
    podman("stop", REDIS)
    try:
        # Here the first request waits about 30 s for the storage to fail (in compose and on the
        # host, under a second): its address is gone with the container. The ones after it are
        # served at once, counted in memory.
        fetch("/items", timeout=90)
        served = fetch("/items")
        assert served[0] == 200, (f"not served with the rate limit storage stopped: {served}"
                                  f"\n{podman('logs', WEB, check=False).stdout[-3000:]}")
    finally:
        podman("start", REDIS)


def play_file(project, image, secret, path):
    """The documents of deploy/, as `kubectl apply -f deploy/` sends them, with the image the
    README says to set and the Secret under a name of this run's own (podman keeps secrets by
    name, and a run must never read another's); but the Services and the containers' ports,
    which podman 4.3 would publish on the same ports of the host's.

    podman 4.3 removes a finished init container as Kubernetes does ("once"), but often tries
    while it still counts it as running and gives up on the pod; its annotation for init
    containers that stay ("always") avoids that, and Kubernetes ignores it.
    """
    documents = [document for document in manifests(project) if document["kind"] != "Service"]
    documents += readme_config_maps(project)
    for document in documents:
        if document["kind"] == "Deployment":
            document["metadata"].setdefault("annotations", {})[
                "io.podman.annotations.init.container.type"] = "always"
            spec = document["spec"]["template"]["spec"]
            for container in spec.get("initContainers", []) + spec["containers"]:
                container["image"] = PUBLIC_IMAGES.get(container["image"], image)
                container.pop("ports", None)
                for item in container.get("env", []):
                    if "secretKeyRef" in item.get("valueFrom", {}):
                        item["valueFrom"]["secretKeyRef"]["name"] = secret
        if document["kind"] == "ConfigMap" and "FLASK_RATELIMIT_STORAGE_URI" in document["data"]:
            document["data"].update(PLAYED_SETTINGS)
    path.write_text(yaml.safe_dump_all(documents))
    return path


@pytest.fixture
def database(tmp_path):
    """A PostgreSQL server on a network of its own: (network, host name, user, password)."""
    network, host = unique_name(), unique_name()
    password = secrets.token_hex(16)
    podman("network", "create", network)
    try:
        podman("run", "--detach", "--name", host, "--network", network, "-e", "POSTGRES_USER=app",
               "-e", f"POSTGRES_PASSWORD={password}", "-e", "POSTGRES_DB=app", postgres_image())
        deadline = time.monotonic() + STARTUP_SECONDS
        ready = ("exec", host, "pg_isready", "--host=127.0.0.1", "--username=app")
        while podman(*ready, check=False).returncode != 0:
            assert time.monotonic() < deadline, podman("logs", host, check=False).stderr
            time.sleep(1)
        yield network, host, password
    finally:
        podman("rm", "--force", "--volumes", "--time", "0", host, check=False)
        podman("network", "rm", "--force", network, check=False)


def test_manifests_start_a_pod_that_migrates_and_serves(cookies, tmp_path, database):
    network, host, password = database
    project = bake_ok(cookies, **ALL_ON)
    image = build_image(project, f"localhost/template-tests/{unique_name()}:latest")
    nginx_image()
    redis_image()
    secret = readme_secret(project)
    assert set(secret) == {"FLASK_SQLALCHEMY_DATABASE_URI"}
    secret["FLASK_SQLALCHEMY_DATABASE_URI"] = (
        f"postgresql+psycopg://app:{password}@{host}:5432/app?connect_timeout=5")
    encoded = {key: base64.b64encode(value.encode()).decode() for key, value in secret.items()}
    (tmp_path / "secret.json").write_text(json.dumps(encoded))
    secret_name = unique_name()
    podman("secret", "create", secret_name, tmp_path / "secret.json")
    path = play_file(project, image, secret_name, tmp_path / "deploy.yaml")
    try:
        podman("kube", "play", "--replace", "--network", network, path)
        assert wait_for("/healthz", 200, "alive") == {"status": "ok"}
        assert wait_for("/readyz", 200, "ready once the init container migrated") == {
            "status": "ready"}
        applied = podman("exec", host, "psql", "-U", "app", "-d", "app", "-Atc",
                         "SELECT version_num FROM alembic_version").stdout.split()
        assert applied == ["0001"]
        listed = fetch("/items")
        assert listed[0] == 200 and listed[1]["items"] == []
        assert fetch("/items", base="http://127.0.0.1:8080") == listed, "not through the proxy"
        slow_clients_leave_the_pod_answering()
        assert podman("exec", PROXY, "id", "-u").stdout.strip() == "10001"
        rate_limits_count_in_redis()

        assert podman("exec", WEB, "id", "-u").stdout.strip() == "10001"
        write = podman("exec", WEB, "touch", "/app/written", check=False)
        assert write.returncode != 0 and "Read-only file system" in write.stderr
        podman("exec", WEB, "touch", "/tmp/written")
        env = dict(line.split("=", 1) for line in
                   podman("exec", WEB, "env").stdout.splitlines() if "=" in line)
        [config_map] = [doc for doc in manifests(project) if doc["kind"] == "ConfigMap"]
        for name, value in config_map["data"].items():
            assert env[name] == PLAYED_SETTINGS.get(name, value), f"{name} is not the ConfigMap's"
        for name, value in secret.items():
            assert env[name] == value, f"{name} is not the Secret's"
        assert "initContainers" in pod_spec(project)

        podman("stop", host)
        body = wait_for("/readyz", 503, "not ready while the database is down")
        assert body["check"] == "database"
        # Requests may first wait on pooled connections to the vanished server; then, 503.
        unavailable = wait_for("/items", 503, "503 from /items while the database is down")
        assert unavailable["status"] == 503
        podman("start", host)
        wait_for("/readyz", 200, "ready again once the database is back")
    finally:
        podman("kube", "down", path, check=False)
        podman("secret", "rm", secret_name, check=False)
        remove_images(image)
