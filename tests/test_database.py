"""The database option: no trace when off; on, its suite passes on a real PostgreSQL server and
the installed wheel carries its migrations (and the OpenAPI document) outside the source tree."""

import glob
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
import zipfile
from contextlib import contextmanager
from pathlib import Path

import pytest

from .checks import assert_generated_tests_pass
from .conftest import bake_ok, production_env
from .options import ALL_OFF, ALL_ON
from .processes import free_port


def test_database_sqlalchemy_ships_its_files(cookies):
    project = bake_ok(cookies, **{**ALL_OFF, "database": "sqlalchemy"})
    package = project / "src" / "my_service"
    for relative in ("db.py", "models.py", "views/items.py", "migrations/env.py",
                     "migrations/alembic.ini", "migrations/script.py.mako",
                     "migrations/versions/0001_create_items.py"):
        assert (package / relative).is_file(), relative
    assert "postgresql" in (project / "pyproject.toml").read_text()


def find_postgres_bin():
    """The folder of initdb and pg_ctl: on PATH, or where Debian and Ubuntu packages put them."""
    on_path = shutil.which("initdb")
    candidates = [os.path.dirname(on_path)] if on_path else []
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)
    for folder in candidates:
        if os.access(os.path.join(folder, "pg_ctl"), os.X_OK):
            return folder
    pytest.fail("initdb and pg_ctl not found: install PostgreSQL (.ci/run does: apt-get install "
                "postgresql)")


def server_user():
    """initdb refuses to run as root: run the server as postgres (or nobody) then."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    pytest.fail("running as root and neither a postgres nor a nobody user exists")


@contextmanager
def postgres_server():
    """A throwaway PostgreSQL on 127.0.0.1 in a temporary folder, always stopped and removed."""
    folder = find_postgres_bin()
    user = server_user()
    prefix = ["runuser", "-u", user.pw_name, "--"] if user else []
    root = Path(tempfile.mkdtemp(prefix="template-postgres-"))
    if user:
        os.chown(root, user.pw_uid, user.pw_gid)
    data, port = root / "data", free_port()

    def run(*args):
        result = subprocess.run(prefix + [os.path.join(folder, args[0]), *args[1:]],
                                capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, f"{args[0]} failed: {result.stdout}{result.stderr}"

    try:
        run("initdb", "-D", str(data), "-U", "tester", "--auth=trust", "--no-sync",
            "-E", "UTF8", "--locale=C")
        options = f"-h 127.0.0.1 -p {port} -k {root} -c fsync=off"
        run("pg_ctl", "-D", str(data), "-l", str(root / "server.log"), "-w", "-t", "60",
            "-o", options, "start")
        try:
            yield f"postgresql+psycopg://tester@127.0.0.1:{port}"
        finally:
            run("pg_ctl", "-D", str(data), "-m", "fast", "-w", "-t", "60", "stop")
    finally:
        shutil.rmtree(root, ignore_errors=True)


@pytest.mark.end_to_end
def test_generated_suite_passes_on_postgresql(cookies):
    import psycopg

    project = bake_ok(cookies, **ALL_ON)
    with postgres_server() as server:
        admin_url = server.replace("+psycopg", "") + "/postgres"
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute("CREATE DATABASE service_tests")
        assert_generated_tests_pass(project, TEST_DATABASE_URL=f"{server}/service_tests")
        with psycopg.connect(admin_url) as admin:
            inserted, = admin.execute("SELECT tup_inserted FROM pg_stat_database "
                                      "WHERE datname = 'service_tests'").fetchone()
    assert inserted > 0, "the generated suite never wrote to PostgreSQL"


@pytest.mark.end_to_end
def test_installed_wheel_serves_its_contract_and_migrates_outside_the_source_tree(
        cookies, tmp_path):
    project = bake_ok(cookies, **{**ALL_ON, "auth": "none"})  # a write without a token
    dist = tmp_path / "dist"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(dist),
                    str(project)], check=True, capture_output=True, timeout=600)
    [wheel] = dist.glob("*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for shipped in ("openapi.yaml", "migrations/alembic.ini", "migrations/script.py.mako",
                    "migrations/env.py", "migrations/versions/0001_create_items.py"):
        assert f"my_service/{shipped}" in names, f"{shipped} is not in the wheel"

    site = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target",
                    str(site), str(wheel)], check=True, capture_output=True, timeout=600)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("FLASK_")}
    env.update(production_env(ALL_ON), PYTHONPATH=str(site),
               FLASK_SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'service.sqlite'}")

    def python(*args):
        result = subprocess.run([sys.executable, *args], cwd=elsewhere, env=env,
                                capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stdout + result.stderr
        return result

    upgrade = python("-m", "flask", "--app", "my_service", "db", "upgrade")
    assert "Running upgrade  -> 0001" in upgrade.stderr
    served = python("-c", (
        "import my_service; client = my_service.create_app().test_client(); "
        "assert my_service.__file__.startswith(" + repr(str(site)) + "); "
        "print(client.get('/openapi.json').json['openapi']); "
        "print(client.post('/items', json={'name': 'x'}).status_code)"))
    assert served.stdout.split() == ["3.1.0", "201"]
