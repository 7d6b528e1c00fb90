"""Checks every rendered project must pass, whatever its options."""

import configparser
import json
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
from collections import Counter
from pathlib import Path

import yaml

LEFTOVER = re.compile(r"\{\{-?\s*cookiecutter|\{%-?\s|\s-?%\}")
SKIPPED_DIRS = {".git", ".tox", ".venv", "__pycache__", ".pytest_cache"}


def project_files(project):
    for path in sorted(Path(project).rglob("*")):
        if path.is_file() and not SKIPPED_DIRS & set(path.relative_to(project).parts):
            yield path


def without_answers(text, answers):
    """The text minus the answers themselves, raw and escaped, which may hold template syntax."""
    for value in sorted(answers.values(), key=len, reverse=True):
        escaped = value.replace("\\", "\\\\").replace('"', '\\"')
        text = text.replace(escaped, "").replace(value, "")
    return text


def assert_nothing_unrendered(project, answers=None):
    for path in project_files(project):
        relative = str(path.relative_to(project))
        assert "{{" not in relative, f"unrendered path {relative}"
        text = without_answers(path.read_text(encoding="utf-8"), answers or {})
        leftover = LEFTOVER.search(text)
        assert leftover is None, f"{relative} still contains {leftover.group()!r}"


def parse(path):
    text = path.read_text(encoding="utf-8")
    suffix = path.suffix
    if suffix == ".py":
        compile(text, str(path), "exec")
    elif suffix == ".toml" or path.name == "uv.lock":
        tomllib.loads(text)
    elif suffix in (".ini", ".cfg") or path.name in (".flake8",):
        configparser.ConfigParser(interpolation=None).read_string(text)
    elif suffix == ".json":
        json.loads(text)
    elif suffix in (".yaml", ".yml"):
        list(yaml.safe_load_all(text))
    else:
        return False
    return True


def assert_every_file_parses(project):
    parsed = [path.name for path in project_files(project) if parse(path)]
    assert "pyproject.toml" in parsed and "tox.ini" in parsed


def assert_flake8_clean(project):
    result = subprocess.run([sys.executable, "-m", "flake8", "src", "tests", "setup.py",
                             "gunicorn.conf.py"],
                            cwd=project, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def assert_generated_tests_pass(project, **extra_env):
    """The generated suite, with its 100% coverage floor, in this interpreter against src/."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("FLASK_", "COV_CORE")) and k != "TEST_DATABASE_URL"}
    env.update(extra_env, PYTHONPATH=str(Path(project) / "src"))
    # Coverage's data file outside the project: a shared render is read file by file by other
    # checks, and a binary .coverage left in it is not text.
    with tempfile.TemporaryDirectory() as data:
        env["COVERAGE_FILE"] = str(Path(data) / ".coverage")
        result = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--cov",
             "--cov-report=term-missing"],
            cwd=project, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-3000:]


def tool(name):
    """A command installed beside this interpreter (the test env), else on PATH."""
    beside = Path(sys.executable).parent / name
    return str(beside) if beside.exists() else (shutil.which(name) or name)


def assert_tool_passes(project, *command):
    result = subprocess.run([tool(command[0]), *command[1:]], cwd=project, capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, (f"{' '.join(command)} failed:\n"
                                    + result.stdout[-4000:] + result.stderr[-2000:])


def assert_production_files_are_valid(project):
    """Linters and schemas for each option's files, offline; an absent file is not checked."""
    project = Path(project)
    if (project / "Dockerfile").exists():
        assert_tool_passes(project, "hadolint", "--no-color", "--failure-threshold", "style",
                           "Dockerfile")
    schemas = [("compose.yaml", "vendor.compose-spec"),
               (".github/dependabot.yml", "vendor.dependabot"),
               (".gitlab-ci.yml", "vendor.gitlab-ci")]
    schemas += [(str(path.relative_to(project)), "vendor.github-workflows")
                for path in sorted(project.glob(".github/workflows/*.yml"))]
    for relative, schema in schemas:
        if (project / relative).exists():
            assert_tool_passes(project, "check-jsonschema", "--builtin-schema", schema, relative)
    if (project / ".github").exists():
        assert_tool_passes(project, "zizmor", "--offline", "--persona=pedantic", "--no-progress",
                           ".")
    manifests = sorted(str(path.relative_to(project)) for path in project.glob("deploy/*.yaml"))
    if manifests:
        assert_tool_passes(project, "kubernetes-validate", "--strict", *manifests)


def assert_bandit_clean(project):
    """bandit finds nothing of medium or high severity in the service's code."""
    assert_tool_passes(project, "bandit", "--recursive", "--severity-level", "medium", "--quiet",
                       "src")


# What a secret looks like in a file; the tests' keys and tokens are made at test time instead.
SECRET_PATTERNS = [
    ("a private key", re.compile(r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----")),
    ("a password or key literal", re.compile(
        r"(?i)\b(?:password|passwd|pwd|secret|secret_key|api_key|apikey|access_key|auth_token"
        r"|client_secret)\b[\"']?\s*[:=]\s*[\"'](?P<value>[^\"'\s]{4,})[\"']")),
    ("credentials in a URL", re.compile(r"[a-z][a-z0-9+.-]*://[^\s/:@]+:(?P<value>[^\s/@]+)@")),
    ("a cloud or forge token", re.compile(
        r"\b(?:AKIA[0-9A-Z]{16}|gh[pousr]_[A-Za-z0-9]{36}|github_pat_\w{22,}|glpat-[\w-]{20}"
        r"|xox[abprs]-[\w-]{10,}|sk_live_\w{16,})")),
    ("a signed JWT", re.compile(r"\beyJ[\w-]{8,}\.eyJ[\w-]{8,}\.[\w-]{16,}")),
]
# Words that stand for a password in examples, never one.
PLACEHOLDERS = {"password", "pass", "secret", "change-me", "changeme", "example", "xxxx"}
LONG_TOKEN = re.compile(r"[A-Za-z0-9+/_=-]{32,}")
# A long hex string is a secret unless it pins something: an action@sha or a sha256: digest.
LONG_HEX = re.compile(r"(?<![@:0-9A-Fa-f])[0-9A-Fa-f]{32,}(?![0-9A-Fa-f])")


def entropy(text):
    """Shannon entropy in bits a character: random base64 is near 6, English words below 4.5."""
    return -sum(n / len(text) * math.log2(n / len(text)) for n in Counter(text).values())


def looks_random(token):
    classes = sum(any(test(c) for c in token) for test in (str.isdigit, str.isupper, str.islower))
    return entropy(token) >= 4.5 and classes >= 2


def secrets_in(text):
    """(what, value) for each thing in ``text`` that looks like a secret."""
    for what, pattern in SECRET_PATTERNS:
        for found in pattern.finditer(text):
            value = found.groupdict().get("value") or found.group()
            if value.lower().strip("<>${}") not in PLACEHOLDERS:
                yield what, found.group()
    for found in LONG_TOKEN.finditer(text):
        # NAME=value is two words, not one token; base64 has "=" only as padding at its end.
        if any(len(part) >= 32 and looks_random(part) for part in found.group().split("=")):
            yield "a long random string", found.group()
    for found in LONG_HEX.finditer(text):
        if entropy(found.group()) >= 3:
            yield "a long hex string", found.group()


def typed_text(project, answers):
    """What was typed for the project, and the names made from it: text, not secrets."""
    recorded = Path(project) / ".cookiecutter.json"
    values = dict(answers or {})
    if recorded.exists():
        values.update(json.loads(recorded.read_text(encoding="utf-8")))
    typed = {}
    for name, value in values.items():
        if isinstance(value, str):
            for variant in (value, value.lower().replace("-", "_").replace(".", "_"),
                            value.upper().replace("-", "_").replace(".", "_")):
                typed[f"{name}:{variant}"] = variant
    return typed


# uv writes uv.lock: package URLs, whose paths are long hex digests, and sha256 hashes.
SECRETS_EXEMPT = {"uv.lock"}


def assert_no_secrets(project, answers=None):
    """No rendered file holds a private key, a password, a token or a random-looking string."""
    found = []
    typed = typed_text(project, answers)
    for path in project_files(project):
        if path.name in SECRETS_EXEMPT:
            continue
        try:
            text = without_answers(path.read_text(encoding="utf-8"), typed)
        except UnicodeDecodeError:
            found.append(f"{path.relative_to(project)}: binary, cannot be checked")
            continue
        for number, line in enumerate(text.splitlines(), 1):
            found += [f"{path.relative_to(project)}:{number}: {what}: {value[:60]}"
                      for what, value in secrets_in(line)]
    assert not found, "\n".join(found)


# Files each option adds, and the words no other file may contain when the option is off.
# .cookiecutter.json is exempt: it records every answer, including the options that are off.
OPTION_TRACES = {
    ("use_docker", True): (["Dockerfile", ".dockerignore", "compose.yaml", "proxy/nginx.conf"],
                           re.compile(r"docker|compose\.yaml|hadolint|nginx", re.IGNORECASE)),
    ("use_kubernetes", True): (["deploy/deployment.yaml"],
                               re.compile(r"kubernetes|kubectl|deploy/", re.IGNORECASE)),
    ("ci", "github"): ([".github/workflows/ci.yml", ".github/dependabot.yml"],
                       re.compile(r"github|dependabot", re.IGNORECASE)),
    ("ci", "gitlab"): ([".gitlab-ci.yml"], re.compile(r"gitlab", re.IGNORECASE)),
    ("use_metrics", True): (["src/*/metrics.py", "src/*/views/metrics.py",
                             "tests/test_metrics.py"],
                            re.compile(r"prometheus|[/_.]metrics|metrics[_.]", re.IGNORECASE)),
    ("auth", "jwt"): (["src/*/auth.py", "src/*/dev_tokens.py", "src/*/views/me.py",
                       "tests/jwt_tokens.py", "tests/test_auth.py", "tests/test_dev_tokens.py",
                       "tests/test_me.py"],
                      re.compile(r"jwt|bearer|init_auth|require_scopes|/me\b", re.IGNORECASE)),
    ("use_http_client", True): (["src/*/http_client.py", "tests/test_http_client.py"],
                                re.compile(r"http_client|HTTP_(CONNECT|READ|RETRIES|BACKOFF|POOL)"
                                           r"|requests>=|import requests|urllib3")),
    ("use_cors", True): (["src/*/cors.py", "tests/test_cors.py"],
                         re.compile(r"\bcors|flask.cors", re.IGNORECASE)),
    ("use_rate_limits", True): (["src/*/ratelimits.py", "tests/test_ratelimits.py"],
                                re.compile(r"ratelimit|rate_limit|\blimiter|flask.limiter",
                                           re.IGNORECASE)),
    ("use_openapi", True): (["src/*/openapi.yaml", "src/*/views/openapi.py",
                             "tests/contract.py", "tests/test_openapi.py"],
                            re.compile(r"openapi|pyyaml|import yaml", re.IGNORECASE)),
    ("database", "sqlalchemy"): (["src/*/db.py", "src/*/models.py", "src/*/validation.py",
                                  "src/*/views/items.py",
                                  "src/*/migrations/env.py", "tests/test_items.py"],
                                 re.compile(r"sqlalchemy|flask.migrate|migrations|/items|psycopg"
                                            r"|TEST_DATABASE_URL", re.IGNORECASE)),
}
TRACE_EXEMPT = {".cookiecutter.json"}


def assert_options_leave_no_trace(project, options):
    """An enabled option has its files; a disabled one has no file, line or word left."""
    project = Path(project)
    for (name, value), (paths, trace) in OPTION_TRACES.items():
        if name not in options:
            continue
        enabled = options[name] == value
        for pattern in paths:
            found = list(project.glob(pattern))
            assert bool(found) == enabled, f"{name}={options[name]}: {pattern} present={found}"
        if enabled:
            continue
        for path in project_files(project):
            relative = str(path.relative_to(project))
            if relative in TRACE_EXEMPT:
                continue
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                found = trace.search(line) or trace.search(relative)
                assert found is None, (f"{name}={options[name]} but {relative}:{number} "
                                       f"mentions {found.group()!r}: {line.strip()}")


def assert_project_is_sound(project, answers=None):
    assert_nothing_unrendered(project, answers)
    assert_every_file_parses(project)
    assert_flake8_clean(project)
    assert_production_files_are_valid(project)
    assert_bandit_clean(project)
    assert_no_secrets(project, answers)
    assert_generated_tests_pass(project)
