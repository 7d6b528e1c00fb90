"""What each deployment path of a rendered project gives the service, read from its own files.

The environment a container gets is the image's ENV plus what compose.yaml or deploy/ adds.
Values that the user supplies (a `${NAME:?...}` in compose.yaml, a key of the Secret that the
README says to create) are filled in by the caller, so that the service can be started with
exactly what a deployment would hand it, and its own startup checks tell what is missing.
"""

import json
import os
import re
import secrets
import shlex
import subprocess
import sys
from pathlib import Path

import yaml

# ${NAME}, ${NAME:-default}, ${NAME-default}, ${NAME:?error}, ${NAME?error}; $$ is a dollar.
COMPOSE_VARIABLE = re.compile(r"\$\$|\$\{(?P<name>\w+)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\}")
# The one shape of ConfigError that names settings: "A is required" or "A or B is required".
SECRET_FROM_README = re.compile(r"--from-literal=(\w+)=(\"[^\"]*\"|'[^']*'|\S+)")
REQUIRED = re.compile(r"configuration error: (?P<names>[A-Z0-9_]+(?: or [A-Z0-9_]+)*) "
                      r"is required in production")


def user_values(names):
    """What a user types for each variable or Secret key: URL-safe, as the README asks."""
    return {name: f"user-{secrets.token_hex(8)}" for name in names}


def readme_secret(project):
    """The Secret that the README's `kubectl create secret` makes: {key: value}, with a value
    made here where the README has the shell make one."""
    found = SECRET_FROM_README.findall((Path(project) / "README.md").read_text())
    return {key: user_values([key])[key] if "$(" in value else value.strip("'\"")
            for key, value in found}


CONFIG_MAP_FROM_README = re.compile(r"kubectl create configmap (\S+) --from-file=(\S+)")


def readme_config_maps(project):
    """The ConfigMaps that the README's `kubectl create configmap NAME --from-file=PATH` make,
    as documents: each file under its own name as the key."""
    made = {}
    for name, path in CONFIG_MAP_FROM_README.findall((Path(project) / "README.md").read_text()):
        made.setdefault(name, {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name},
                               "data": {Path(path).name: (Path(project) / path).read_text()}})
    return list(made.values())


def runtime_instructions(dockerfile):
    """(instruction, arguments) of the last stage, continuation lines joined."""
    text = re.sub(r"\\\n", " ", dockerfile.read_text(encoding="utf-8"))
    lines = [line.strip() for line in text.splitlines()]
    instructions = [tuple(line.split(None, 1)) for line in lines if line and line[0] != "#"]
    last_from = max(i for i, (name, _) in enumerate(instructions) if name == "FROM")
    return instructions[last_from:]


def image_contract(dockerfile):
    """ENV, CMD and the HEALTHCHECK command of the runtime stage."""
    env, cmd, healthcheck = {}, None, None
    for name, arguments in runtime_instructions(dockerfile):
        if name == "ENV":
            env.update(pair.split("=", 1) for pair in shlex.split(arguments))
        elif name == "CMD":
            cmd = json.loads(arguments)
        elif name == "HEALTHCHECK":
            healthcheck = json.loads(arguments.split(" CMD ", 1)[1])
    return env, cmd, healthcheck


def image_env(project):
    """ENV of the Dockerfile's last stage."""
    return image_contract(Path(project) / "Dockerfile")[0]


def compose_services(project):
    return yaml.safe_load((Path(project) / "compose.yaml").read_text(encoding="utf-8"))["services"]


def compose_required_variables(project):
    """Names that compose refuses to start without (`${NAME:?...}`): the user must set them."""
    text = (Path(project) / "compose.yaml").read_text(encoding="utf-8")
    return sorted({found["name"] for found in COMPOSE_VARIABLE.finditer(text)
                   if (found["op"] or "").endswith("?")})


def interpolate(value, variables):
    """A compose value with its variables replaced, as compose does it."""
    def replace(match):
        if match.group() == "$$":
            return "$"
        name, op, arg = match["name"], match["op"] or "", match["arg"]
        present = name in variables and (variables[name] != "" or not op.startswith(":"))
        if present:
            return variables[name]
        if op.endswith("?"):
            raise LookupError(f"compose would stop: {name}: {arg}")
        return arg if op.endswith("-") else ""

    return COMPOSE_VARIABLE.sub(replace, str(value))


def compose_env(project, service, variables):
    environment = compose_services(project)[service].get("environment") or {}
    if isinstance(environment, list):
        environment = dict(item.split("=", 1) for item in environment)
    return {**image_env(project),
            **{name: interpolate(value, variables) for name, value in environment.items()}}


def manifests(project):
    return [document for path in sorted((Path(project) / "deploy").glob("*.yaml"))
            for document in yaml.safe_load_all(path.read_text(encoding="utf-8")) if document]


def pod_spec(project):
    """The pod of the service's Deployment (the one running `web`; deploy/ may hold others)."""
    [deployment] = [doc for doc in manifests(project) if doc["kind"] == "Deployment"
                    and "web" in names(doc["spec"]["template"]["spec"]["containers"])]
    return deployment["spec"]["template"]["spec"]


def names(containers):
    return [container["name"] for container in containers]


def named(pod, name):
    """The container ``name`` of a pod spec."""
    [found] = [container for container in pod["containers"] if container["name"] == name]
    return found


def secret_keys(container):
    """{variable: (secret name, key)} of a container's env taken from Secrets."""
    return {item["name"]: (item["valueFrom"]["secretKeyRef"]["name"],
                           item["valueFrom"]["secretKeyRef"]["key"])
            for item in container.get("env", []) if "secretKeyRef" in item.get("valueFrom", {})}


def kubernetes_env(project, container, secret_values):
    """The env of a container of the Deployment: image ENV, ConfigMaps, literals and Secrets
    (``secret_values`` maps a Secret's key to the value the user put there)."""
    config_maps = {doc["metadata"]["name"]: doc.get("data", {})
                   for doc in manifests(project) if doc["kind"] == "ConfigMap"}
    env = image_env(project)
    for source in container.get("envFrom", []):
        env.update(config_maps[source["configMapRef"]["name"]])
    for item in container.get("env", []):
        if "value" in item:
            env[item["name"]] = item["value"]
    for variable, (_, key) in secret_keys(container).items():
        env[variable] = secret_values[key]
    return env


STARTUP_PROBE = """
import json, os, sys
from {package} import create_app
from {package}.config import ConfigError
try:
    create_app()
except ConfigError as error:
    print(json.dumps(str(error)))
else:
    print(json.dumps(None))
"""


def startup_error(project, env, package="my_service"):
    """The configuration error that stops a production start with ``env``, or None."""
    clean = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), **env,
             "PYTHONPATH": str(Path(project) / "src")}
    clean.pop("FLASK_DEBUG", None)
    result = subprocess.run([sys.executable, "-c", STARTUP_PROBE.format(package=package)],
                            env=clean, cwd=project, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    return json.loads(result.stdout.splitlines()[-1])


def required_settings(project, provided, package="my_service"):
    """The settings production requires, found by starting the service as a deployment would:
    with what ``provided`` holds of them, one more at a time, until it starts.

    Each ConfigError names what is missing; the first alternative that ``provided`` has is
    added. Returns (required names, the error that no provided value answers, or None).
    """
    env = {name: value for name, value in provided.items() if not name.startswith("FLASK_")}
    required = []
    while (error := startup_error(project, env, package)) is not None:
        found = REQUIRED.search(error)
        if not found:
            return required, error
        names = found["names"].split(" or ")
        given = [name for name in names if provided.get(f"FLASK_{name}")]
        if not given or f"FLASK_{given[0]}" in env:
            return required, error
        required.append(given[0])
        env[f"FLASK_{given[0]}"] = provided[f"FLASK_{given[0]}"]
    return required, None
