"""Production options run for real: metrics under several gunicorn workers from the built
wheels, and the structure of the files that Docker and Kubernetes read (test_image.py,
test_compose.py and test_kubernetes.py run those files themselves).

A fresh virtualenv gets the wheels of the all-on render, and a folder holding only
gunicorn.conf.py stands for the image's WORKDIR. Servers listen on 127.0.0.1 only, run in their
own process group, and are always killed.
"""

import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from .conftest import bake_ok, production_env
from .deployment import image_contract, named, names, pod_spec
from .options import ALL_ON
from .processes import free_port, stop_process_group

STARTUP_SECONDS = 90
REQUESTS = 60


def run(command, **kwargs):
    result = subprocess.run(command, capture_output=True, text=True, timeout=600, **kwargs)
    assert result.returncode == 0, f"{command}:\n{result.stdout[-3000:]}{result.stderr[-3000:]}"
    return result


def get(port, path, headers=None):
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


class Server:
    """A command in its own process group, output to a file, stopped by SIGTERM then SIGKILL."""

    def __init__(self, command, cwd, env, log):
        self.log = log
        with open(log, "wb") as out:
            self.process = subprocess.Popen(command, cwd=cwd, env=env, stdout=out,
                                            stderr=subprocess.STDOUT, start_new_session=True)

    def output(self):
        return self.log.read_text(encoding="utf-8", errors="replace")

    def wait_until(self, condition, what):
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"exited with {self.process.returncode} before {what}:\n"
                            + self.output()[-3000:])
            if condition():
                return
            time.sleep(0.2)
        pytest.fail(f"no {what} after {STARTUP_SECONDS}s:\n" + self.output()[-3000:])

    def wait_until_healthy(self, port):
        def healthy():
            try:
                return get(port, "/healthz")[0] == 200
            except OSError:
                return False

        self.wait_until(healthy, "answer on /healthz")

    def stop(self):
        """SIGTERM the group; the exit code, or None when SIGKILL was needed."""
        return stop_process_group(self.process)


@pytest.fixture(scope="module")
def runtime(cookies_session, tmp_path_factory):
    """The all-on project, its wheels installed into a fresh virtualenv as the Dockerfile does."""
    project = bake_ok(cookies_session, **ALL_ON)
    root = tmp_path_factory.mktemp("runtime")
    venv = root / "venv"
    run([sys.executable, "-m", "venv", str(venv)])
    python = str(venv / "bin" / "python")
    wheels = root / "wheels"
    run([python, "-m", "pip", "wheel", "--quiet", "--wheel-dir", str(wheels), str(project)])
    run([python, "-m", "pip", "install", "--quiet", "--no-index", "--find-links", str(wheels),
         *map(str, sorted(wheels.glob("*.whl")))])
    workdir = root / "app"  # WORKDIR /app holds gunicorn.conf.py and nothing else
    workdir.mkdir()
    shutil.copy(project / "gunicorn.conf.py", workdir)
    return {"project": project, "venv": venv, "workdir": workdir, "tmp": root}


@pytest.fixture
def start(runtime, tmp_path):
    servers = []

    def start_server(command, env):
        environment = {"PATH": f"{runtime['venv'] / 'bin'}{os.pathsep}/usr/bin:/bin",
                       "HOME": str(tmp_path), "TMPDIR": str(tmp_path), **env,
                       "HOST": "127.0.0.1"}
        log = tmp_path / f"server{len(servers)}.log"
        server = Server(command, runtime["workdir"], environment, log)
        server.env = environment
        servers.append(server)
        return server

    yield start_server
    for server in servers:
        server.stop()


def request_counts(port):
    status, text = get(port, "/metrics")
    assert status == 200
    counts = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name in ("http_requests_total", "http_request_duration_seconds_count"):
                key = (sample.name, sample.labels["route"], sample.labels["status"])
                counts[key] = counts.get(key, 0) + sample.value
    return counts


def booted_workers(server):
    return re.findall(r"Booting worker with pid: (\d+)", server.output())


def test_metrics_count_every_request_across_three_workers(runtime, start, tmp_path):
    port = free_port()
    server = start(["gunicorn"], {"PORT": str(port), "WEB_CONCURRENCY": "3",
                                  **production_env(ALL_ON)})
    server.wait_until_healthy(port)
    server.wait_until(lambda: len(booted_workers(server)) == 3, "three workers")

    with ThreadPoolExecutor(max_workers=6) as pool:
        statuses = list(pool.map(lambda _: get(port, "/")[0], range(REQUESTS)))
    assert statuses == [200] * REQUESTS
    expected = {("http_requests_total", "/", "200"): REQUESTS,
                ("http_request_duration_seconds_count", "/", "200"): REQUESTS}
    assert request_counts(port) == expected  # /healthz and /metrics are not counted

    [metrics_dir] = tmp_path.glob("*-metrics-*")
    writers = {path.stem.split("_")[-1] for path in metrics_dir.glob("counter_*.db")}
    assert len(writers) >= 2, f"one worker answered everything: {writers}"

    # A worker that dies keeps its counts, and its replacement adds to them.
    os.kill(int(booted_workers(server)[0]), signal.SIGKILL)
    server.wait_until(lambda: len(booted_workers(server)) == 4, "a replacement worker")
    assert request_counts(port) == expected
    for _ in range(3):
        assert get(port, "/")[0] == 200
    assert request_counts(port)[("http_requests_total", "/", "200")] == REQUESTS + 3

    # kill -HUP, gunicorn's reload, reads gunicorn.conf.py again and replaces every worker:
    # the counts stay, in the same directory.
    before = len(booted_workers(server))
    os.kill(server.process.pid, signal.SIGHUP)
    server.wait_until(lambda: len(booted_workers(server)) == before + 3, "three new workers")
    assert get(port, "/")[0] == 200
    assert request_counts(port)[("http_requests_total", "/", "200")] == REQUESTS + 4

    # The directory gunicorn.conf.py made for the server goes when it stops.
    assert server.stop() == 0, server.output()[-3000:]
    assert not metrics_dir.exists(), list(metrics_dir.iterdir())


def test_compose_runs_the_image_healthcheck_and_keeps_secrets_out(runtime):
    project = runtime["project"]
    _, _, healthcheck = image_contract(project / "Dockerfile")
    web = yaml.safe_load((project / "compose.yaml").read_text())["services"]["web"]
    assert web["healthcheck"]["test"] == ["CMD", *healthcheck]
    assert "${POSTGRES_PASSWORD:?" in web["environment"]["FLASK_SQLALCHEMY_DATABASE_URI"]
    ignored = (project / ".dockerignore").read_text().splitlines()
    assert ignored[ignored.index("*")] == "*" and "!.env" not in ignored
    dockerfile = (project / "Dockerfile").read_text()
    assert "\nUSER 10001:10001\n" in dockerfile
    assert not re.search(r"^COPY\s+\.\s", dockerfile, re.MULTILINE), "COPY . copies everything"


def test_kubernetes_manifests_probe_health_and_reference_secrets(runtime):
    documents = [document for path in sorted((runtime["project"] / "deploy").glob("*.yaml"))
                 for document in yaml.safe_load_all(path.read_text())]
    kinds = {document["kind"] for document in documents}
    assert {"Deployment", "Service", "HorizontalPodAutoscaler", "ConfigMap"} <= kinds
    assert "Secret" not in kinds, "secret values never live in the manifests"
    pod = pod_spec(runtime["project"])
    assert names(pod["containers"]) == ["web", "proxy"]
    container = web = named(pod, "web")
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert {"requests", "limits"} <= set(container["resources"])
    security = container["securityContext"]
    assert security["readOnlyRootFilesystem"] and not security["allowPrivilegeEscalation"]
    assert security["capabilities"]["drop"] == ["ALL"]
    assert pod["securityContext"]["runAsNonRoot"] and pod["securityContext"]["runAsUser"] == 10001
    assert [mount["mountPath"] for mount in container["volumeMounts"]] == ["/tmp"]
    proxy = named(pod, "proxy")
    assert proxy["securityContext"] == security
    assert [mount["mountPath"] for mount in proxy["volumeMounts"]] == [
        "/etc/nginx/service", "/tmp"]
    [secret] = [item for item in web["env"]
                if item["name"] == "FLASK_SQLALCHEMY_DATABASE_URI"]
    assert set(secret) == {"name", "valueFrom"} and "secretKeyRef" in secret["valueFrom"]


def test_kubernetes_gives_a_stopping_pod_time_to_drain(runtime):
    """preStop pause, then gunicorn's graceful timeout: both must fit in the grace period, or
    Kubernetes kills the requests that gunicorn is still finishing."""
    pod = pod_spec(runtime["project"])
    conf = (runtime["project"] / "gunicorn.conf.py").read_text()
    graceful = int(re.search(r'GUNICORN_GRACEFUL_TIMEOUT", (\d+)\)', conf).group(1))
    pauses = []
    for container in pod["containers"]:  # the proxy pauses as long, so it forwards meanwhile
        command = container["lifecycle"]["preStop"]["exec"]["command"]
        assert command[0] == "sleep"
        pauses.append(int(command[1]))
    assert len(set(pauses)) == 1, pauses
    assert pauses[0] + graceful < pod["terminationGracePeriodSeconds"]
