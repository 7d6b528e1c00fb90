"""Write the template's uv.lock: the lock of every render, made from real `uv lock` runs.

What a rendered service locks depends on the options that bring dependencies and on
python_min. This renders every combination of them, locks each with uv, and writes one
template in which each locked package stands under the condition on those answers that uv's
own locks show. Then it renders every combination again from the new template and checks that
uv accepts each lock as it is (`uv lock --locked`: nothing to resolve, nothing to change).

    python3 -m pip install cookiecutter uv && python3 scripts/update_lock.py

Run it after changing a dependency in the template's pyproject.toml, or to move every locked
version to the newest release. It needs an interpreter for each python_min on PATH.
"""

import itertools
import json
import re
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from cookiecutter.main import cookiecutter

TEMPLATE = Path(__file__).resolve().parent.parent
LOCK = TEMPLATE / "{{cookiecutter.project_slug}}" / "uv.lock"
# The project's own entry, written by hand from pyproject.toml; cookiecutter includes it from
# templates/, and the check below proves it is what uv writes.
ROOT_BLOCK = TEMPLATE / "templates" / "uv_lock_project.toml"
# The answers that change what is locked, each with its values and its Jinja test.
DEPENDENCY_OPTIONS = {
    "auth": (["none", "jwt"], 'cookiecutter.auth == "jwt"'),
    "use_http_client": ([False, True], "cookiecutter.use_http_client"),
    "use_cors": ([False, True], "cookiecutter.use_cors"),
    "use_rate_limits": ([False, True], "cookiecutter.use_rate_limits"),
    "use_metrics": ([False, True], "cookiecutter.use_metrics"),
    "use_openapi": ([False, True], "cookiecutter.use_openapi"),
    "database": (["none", "sqlalchemy"], 'cookiecutter.database == "sqlalchemy"'),
}
PYTHONS = json.loads((TEMPLATE / "cookiecutter.json").read_text())["python_min"]
SEPARATOR = "\n\n[[package]]\n"


def combinations():
    names = list(DEPENDENCY_OPTIONS)
    for python in PYTHONS:
        for values in itertools.product(*(DEPENDENCY_OPTIONS[n][0] for n in names)):
            yield python, tuple(values)


def answers(key):
    python, values = key
    return {"python_min": python, **dict(zip(DEPENDENCY_OPTIONS, values))}


def render(key, folder):
    """The project of ``key``'s answers; cookiecutter changes the working directory while it
    runs hooks, so renders run one at a time and only uv runs in parallel."""
    return Path(cookiecutter(str(TEMPLATE), no_input=True, extra_context=answers(key),
                             output_dir=str(folder), overwrite_if_exists=True))


def in_parallel(function, items):
    with ThreadPoolExecutor(max_workers=4) as pool:
        return list(pool.map(function, items))


def uv(*args, cwd):
    result = subprocess.run([sys.executable, "-m", "uv", *args], cwd=cwd, text=True,
                            capture_output=True, timeout=600)
    if result.returncode != 0:
        sys.exit(f"uv {' '.join(args)} in {cwd} failed:\n{result.stderr}")
    return result


def fresh_lock(key, project):
    (project / "uv.lock").unlink(missing_ok=True)
    uv("lock", "--quiet", "--python", key[0], cwd=project)
    return (project / "uv.lock").read_text()


def split(lock):
    """(header, the project's own block, [(package name, block)]) of a uv.lock text; a package
    can have two blocks, of two versions for two ranges of Python."""
    header, *blocks = lock.split(SEPARATOR)
    blocks = [block.rstrip("\n") for block in blocks]  # the lock's last one ends the file
    project = [block for block in blocks if 'source = { editable = "." }' in block]
    assert len(project) == 1, "one editable project in the lock"
    packages = [(re.match(r'name = "([^"]+)"', block)[1], block)
                for block in blocks if block is not project[0]]
    return header, project[0], packages


def option_test(names):
    return " or ".join(DEPENDENCY_OPTIONS[name][1] for name in names)


def condition(keys, every_key):
    """A Jinja test true for exactly ``keys``: the options any of which brings the package,
    and the python_min values it is locked for; None when it is locked for every render."""
    if keys == every_key:
        return None
    pythons = sorted({python for python, _ in keys})
    names = list(DEPENDENCY_OPTIONS)
    off = tuple(DEPENDENCY_OPTIONS[n][0][0] for n in names)
    bringing = [name for i, name in enumerate(names)
                if (pythons[0], off[:i] + (DEPENDENCY_OPTIONS[name][0][1],) + off[i + 1:]) in keys]
    expected = {(python, values) for python, values in every_key if python in pythons
                and any(values[names.index(name)] != off[names.index(name)] for name in bringing)}
    if (pythons[0], off) in keys:
        expected = {key for key in every_key if key[0] in pythons}
        bringing = []
    if expected != keys:
        sys.exit(f"no simple condition for a package locked in {len(keys)} renders")
    tests = [f"({option_test(bringing)})"] if bringing else []
    if len(pythons) < len(PYTHONS):
        tests.append(f"cookiecutter.python_min in {json.dumps(pythons)}")
    return " and ".join(tests)


def header(headers, every_key):
    """The header of the locks ({text: keys}): uv adds resolution-markers to it where a package
    needs a newer Python than python_min for its newest release, so that the lock holds two."""
    *rare, common = sorted(headers, key=lambda text: (len(headers[text]), text))
    tests = [f"{{% {'elif' if number else 'if'} {condition(headers[text], every_key)} %}}{text}"
             for number, text in enumerate(rare)]
    return "".join(tests) + (f"{{% else %}}{common}{{% endif %}}" if rare else common)


def template(locks):
    every_key = set(locks)
    headers = {}  # header text -> set of keys
    for key, lock in locks.items():
        text = split(lock)[0].replace(f'">={key[0]}"', '">={{ cookiecutter.python_min }}"')
        headers.setdefault(text, set()).add(key)
    variants = {}  # package name -> {block text: set of keys}
    for key, lock in locks.items():
        for name, block in split(lock)[2]:
            variants.setdefault(name, {}).setdefault(block, set()).add(key)
    parts = [header(headers, every_key)]
    for name in sorted(variants):
        for block, keys in sorted(variants[name].items(), key=lambda item: sorted(item[1])):
            assert "{{" not in block and "{%" not in block and "{#" not in block, name
            test = condition(keys, every_key)
            text = SEPARATOR + block
            parts.append(f"{{% if {test} %}}{text}{{% endif %}}" if test else text)
    parts.append("{% include '" + ROOT_BLOCK.name + "' %}")
    return "".join(parts)


def check(keys, folder):
    """Every combination rendered from the new template: uv takes its lock as it is."""
    projects = [render(key, folder / f"check-{number}") for number, key in enumerate(keys)]

    def locked(key_and_project):
        key, project = key_and_project
        before = (project / "uv.lock").read_text()
        uv("lock", "--locked", "--offline", "--quiet", "--python", key[0], cwd=project)
        assert (project / "uv.lock").read_text() == before, f"uv rewrote the lock of {key}"

    in_parallel(locked, list(zip(keys, projects)))


def main():
    with tempfile.TemporaryDirectory(prefix="update-lock-") as folder:
        folder = Path(folder)
        keys = list(combinations())
        projects = [render(key, folder / str(number)) for number, key in enumerate(keys)]
        locks = dict(zip(keys, in_parallel(lambda pair: fresh_lock(*pair),
                                           list(zip(keys, projects)))))
        LOCK.write_text(template(locks))
        check(keys, folder)
    print(f"wrote {LOCK.relative_to(TEMPLATE)} from {len(locks)} locks; each render's lock "
          "is what uv makes")


if __name__ == "__main__":
    main()
