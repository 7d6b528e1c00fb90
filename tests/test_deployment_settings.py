"""Every deployment path hands the service every setting production requires, secrets by
reference. What is required is not listed here: the rendered service's own startup checks say
it, one missing setting at a time, so an option added later cannot forget its deployment."""

import re
import tomllib

import pytest
import yaml

from .conftest import bake_ok
from .deployment import (compose_env, compose_required_variables, compose_services,
                         kubernetes_env, manifests, pod_spec, readme_secret, required_settings,
                         secret_keys, user_values)
from .options import ALL_ON, combination_id, supported_combinations

DEPLOYED = [combo for combo in supported_combinations() if combo["use_docker"]]
# Settings whose value is a credential, or holds one (a database URL with its password).
SECRET = re.compile(r"SECRET|PASSWORD|TOKEN|DATABASE_URI")


def check_compose(project):
    variables = user_values(compose_required_variables(project))
    web = compose_env(project, "web", variables)
    required, error = required_settings(project, web)
    assert error is None, f"compose.yaml gives the web service too little: {error}"
    for service in compose_services(project):
        if "flask" in compose_services(project)[service].get("command", []):
            assert compose_env(project, service, variables) == web, f"{service} differs from web"
    for name in filter(SECRET.search, required):
        value = web[f"FLASK_{name}"]
        assert any(typed in value for typed in variables.values()), (
            f"{name} must come from a variable compose refuses to start without")
    readme = (project / "README.md").read_text()
    for variable in compose_required_variables(project):
        assert f"{variable}=" in readme, f"the README's compose command does not set {variable}"
    return required


def check_kubernetes(project):
    secret = readme_secret(project)
    pod = pod_spec(project)
    [web] = [container for container in pod["containers"] if container["name"] == "web"]
    referenced = {key for _, key in secret_keys(web).values()}
    assert referenced == set(secret), f"Secret keys in deploy/ {referenced}, README {set(secret)}"
    env = kubernetes_env(project, web, secret)
    required, error = required_settings(project, env)
    assert error is None, f"deploy/ gives the web container too little: {error}"
    for name in filter(SECRET.search, required):
        assert f"FLASK_{name}" in secret_keys(web), f"{name} must come from the Secret"
    for init in pod.get("initContainers", []):
        assert secret_keys(init) == secret_keys(web) and init["envFrom"] == web["envFrom"]
        assert init["image"] == web["image"]
    return required


@pytest.mark.parametrize("combo", DEPLOYED, ids=combination_id)
def test_every_deployment_path_provides_what_production_requires(cookies, combo):
    project = bake_ok(cookies, **combo)
    required = check_compose(project)
    expected = ({"JWT_ISSUER", "JWT_AUDIENCE"} if combo["auth"] == "jwt" else set()) | (
        {"SQLALCHEMY_DATABASE_URI"} if combo["database"] == "sqlalchemy" else set()) | (
        {"RATELIMIT_STORAGE_URI"} if combo["use_rate_limits"] else set())
    assert expected <= set(required), required
    assert required or not expected  # nothing is required without JWT, a database or limits
    if combo["use_kubernetes"]:
        assert sorted(check_kubernetes(project)) == sorted(required)


def test_a_deployment_that_forgets_a_setting_is_caught(cookies):
    project = bake_ok(cookies, **ALL_ON)
    compose = project / "compose.yaml"
    compose.write_text("".join(line for line in compose.read_text().splitlines(keepends=True)
                               if "FLASK_JWT_ISSUER" not in line))
    with pytest.raises(AssertionError, match="JWT_ISSUER is required in production"):
        check_compose(project)
    configmap = project / "deploy" / "configmap.yaml"
    document = yaml.safe_load(configmap.read_text())
    del document["data"]["FLASK_JWT_JWKS_URL"]
    configmap.write_text(yaml.safe_dump(document))
    with pytest.raises(AssertionError, match="JWT_PUBLIC_KEY or JWT_JWKS_URL is required"):
        check_kubernetes(project)


@pytest.mark.parametrize("combo", [ALL_ON, {**ALL_ON, "auth": "none", "database": "none"}],
                         ids=combination_id)
def test_autoscaled_deployments_leave_the_replica_count_to_the_autoscaler(cookies, combo):
    project = bake_ok(cookies, **combo)
    documents = manifests(project)
    scaled = {doc["spec"]["scaleTargetRef"]["name"] for doc in documents
              if doc["kind"] == "HorizontalPodAutoscaler"}
    for deployment in (doc for doc in documents if doc["kind"] == "Deployment"):
        if deployment["metadata"]["name"] in scaled:
            assert "replicas" not in deployment["spec"], "kubectl apply would reset the HPA"
    assert scaled


@pytest.mark.parametrize("python_min", ["3.11", "3.14"])
def test_the_image_runs_the_newest_python_the_service_supports(cookies, python_min):
    project = bake_ok(cookies, python_min=python_min)
    classifiers = tomllib.loads((project / "pyproject.toml").read_text())["project"]["classifiers"]
    versions = [c.rsplit(" :: ", 1)[1] for c in classifiers if re.search(r":: 3\.\d+$", c)]
    newest = max(versions, key=lambda version: tuple(map(int, version.split("."))))
    assert f"ARG PYTHON_VERSION={newest}\n" in (project / "Dockerfile").read_text()
