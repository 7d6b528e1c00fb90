"""Finish the rendered project: prune disabled options, write .flaskenv, show next steps."""

import json
import shutil
import sys
from pathlib import Path

ANSWERS = json.loads(r'''{{ cookiecutter | tojson }}''')

# (answer, the value that keeps them, paths). A row's paths are removed unless the answer has
# that value: ("use_docker", True, [...]) for a yes/no option, ("ci", "github", [...]) for a choice.
SRC = f"src/{ANSWERS['__package']}"
OPTION_FILES = (
    ("auth", "jwt", [f"{SRC}/auth.py", f"{SRC}/dev_tokens.py", f"{SRC}/views/me.py",
                     "tests/jwt_tokens.py", "tests/test_auth.py", "tests/test_dev_tokens.py",
                     "tests/test_me.py"]),
    ("use_http_client", True, [f"{SRC}/http_client.py", "tests/test_http_client.py"]),
    ("use_cors", True, [f"{SRC}/cors.py", "tests/test_cors.py"]),
    ("use_rate_limits", True, [f"{SRC}/ratelimits.py", "tests/test_ratelimits.py",
                               "deploy/redis.yaml"]),
    ("use_docker", True, ["Dockerfile", ".dockerignore", "compose.yaml", "proxy"]),
    ("use_kubernetes", True, ["deploy"]),
    ("ci", "github", [".github"]),
    ("ci", "gitlab", [".gitlab-ci.yml"]),
    ("use_metrics", True, [f"{SRC}/metrics.py", f"{SRC}/views/metrics.py",
                           "tests/test_metrics.py"]),
    ("use_openapi", True, [
        f"{SRC}/openapi.yaml", f"{SRC}/views/openapi.py", "tests/contract.py",
        "tests/test_openapi.py",
    ]),
    ("database", "sqlalchemy", [
        f"{SRC}/db.py", f"{SRC}/models.py", f"{SRC}/validation.py", f"{SRC}/views/items.py",
        f"{SRC}/migrations", "tests/test_db.py", "tests/test_items.py",
        "tests/test_migrations.py", "tests/test_validation.py",
    ]),
)


def paths_to_prune(answers, option_files=OPTION_FILES):
    return [
        path
        for option, keep_when, paths in option_files
        if answers.get(option) != keep_when
        for path in paths
    ]


def prune(root, paths):
    for relative in paths:
        path = root / relative
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()


def write_flaskenv(root, package):
    (root / ".flaskenv").write_text(f"FLASK_APP={package}\nFLASK_DEBUG=1\n", encoding="utf-8")


def next_steps(answers):
    return "\n".join([
        f"Created {answers['project_slug']}. Next:",
        f"    cd {answers['project_slug']}",
        "    python -m venv .venv && . .venv/bin/activate",
        '    python -m pip install -e ".[test]"',
        *(["    flask db upgrade"] if answers.get("database") == "sqlalchemy" else []),
        "    flask run          # then: tox",
    ])


def main(answers, root=Path.cwd()):
    prune(root, paths_to_prune(answers))
    write_flaskenv(root, answers["__package"])
    print(next_steps(answers), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(ANSWERS))
