"""Podman for the container tests: one configuration, one storage folder, locally made bases.

No registry is reachable, so `python:X.Y-slim` is a stand-in made here with debootstrap from a
Debian suite that ships python X.Y, imported under the official image's name, and reused by every
later run on the machine. Everything lives in one folder (TEMPLATE_TESTS_CONTAINERS, by default
/var/tmp/template-tests-containers): the storage of images and containers, the configuration
files podman reads, the root file systems debootstrap made. Making a base is guarded by a file
lock, so that pytest-xdist workers asking at the same time make it once.
"""

import fcntl
import functools
import hashlib
import json
import os
import secrets
import shutil
import socket
import subprocess
import tarfile
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(os.environ.get("TEMPLATE_TESTS_CONTAINERS", "/var/tmp/template-tests-containers"))
MIRROR = "http://deb.debian.org/debian"
# debootstrap's script for every current suite; a suite newer than the installed debootstrap
# (forky) has no script of its own yet.
DEBOOTSTRAP_SCRIPT = "/usr/share/debootstrap/scripts/sid"
HOST_CA_CERTIFICATES = Path("/usr/local/share/ca-certificates")
PACKAGES_TO_INSTALL = ("podman buildah debootstrap runc slirp4netns fuse-overlayfs uidmap "
                       "netavark aardvark-dns catatonit iptables")
COMMAND_TIMEOUT = 900

# Python version of an official python:X.Y-slim image -> a Debian suite with a pythonX.Y package
# (no current suite has 3.12). The stand-in's `python --version` is checked after it is made, so
# a row that names the wrong suite fails there.
PYTHON_SUITES = {
    "3.11": "bookworm",
    "3.13": "trixie",
    "3.14": "forky",
    "3.15": "forky",
}
# Bumped when the way a stand-in is made changes: an image or tar of another recipe is remade.
STAND_IN_RECIPE = 2
STAND_IN_LABEL = "org.template-tests.stand-in"

# Like the official image: /usr/local/bin first, a UTF-8 locale without locales installed. And
# the system's CAs (with the host's) for clients that bring a list of their own, such as uv.
BASE_ENV = {
    "PATH": "/usr/local/bin:/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin",
    "LANG": "C.UTF-8",
    "SSL_CERT_FILE": "/etc/ssl/certs/ca-certificates.crt",
}

CONTAINERS_CONF = """\
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]

[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
tmp_dir = "{root}/libpod"

[network]
network_backend = "netavark"
network_config_dir = "{root}/networks"
"""

STORAGE_CONF = """\
[storage]
driver = "overlay"
graphroot = "{root}/storage"
runroot = "{root}/run"
"""


def write_if_changed(path, text):
    """Write atomically, so that a concurrent reader sees the old file or the new one."""
    if path.exists() and path.read_text(encoding="utf-8") == text:
        return
    partial = path.with_name(f".{path.name}.{os.getpid()}")
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, path)


@functools.cache
def podman_environment():
    """The caller's environment plus the configuration files of this module, written once."""
    # netavark, podman's network backend, publishes ports through iptables.
    for tool in ("podman", "iptables"):
        if shutil.which(tool, path=f"{os.environ.get('PATH', '')}:/usr/sbin:/sbin") is None:
            pytest.fail(f"{tool} is not installed: install podman: .ci/run does "
                        f"(apt-get install --no-install-recommends {PACKAGES_TO_INSTALL})")
    ROOT.mkdir(parents=True, exist_ok=True)
    containers_conf = ROOT / "containers.conf"
    storage_conf = ROOT / "storage.conf"
    write_if_changed(containers_conf, CONTAINERS_CONF.format(root=ROOT))
    write_if_changed(storage_conf, STORAGE_CONF.format(root=ROOT))
    return {**os.environ, "CONTAINERS_CONF": str(containers_conf),
            "CONTAINERS_STORAGE_CONF": str(storage_conf)}


def run(command, check=True, timeout=COMMAND_TIMEOUT, env=None, **kwargs):
    """Run a command; on a non-zero exit (when ``check``) fail the test with its output."""
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=timeout,
                                env=env, **kwargs)
    except subprocess.TimeoutExpired as error:
        output = b"".join(part if isinstance(part, bytes) else part.encode()
                          for part in (error.stdout, error.stderr) if part)
        pytest.fail(f"{' '.join(command)}: no exit after {timeout} s\n"
                    f"{output.decode(errors='replace')[-6000:]}")
    if check and result.returncode != 0:
        pytest.fail(f"{' '.join(command)}: exit {result.returncode}\n"
                    f"{result.stdout[-6000:]}{result.stderr[-6000:]}")
    return result


def podman(*args, check=True, timeout=COMMAND_TIMEOUT, **kwargs):
    """`podman ARGS` with this module's configuration and storage: a CompletedProcess."""
    return run(["podman", *map(str, args)], check=check, timeout=timeout,
               env=podman_environment(), **kwargs)


@contextmanager
def locked(name):
    """An exclusive lock on a file in ROOT, held by one process (xdist worker) at a time."""
    podman_environment()
    with open(ROOT / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


# Base images -----------------------------------------------------------------------------------

def python_image(version):
    """The tag `docker.io/library/python:{version}-slim`, after making sure a stand-in exists."""
    if version not in PYTHON_SUITES:
        raise ValueError(
            f"no stand-in for python:{version}-slim: no Debian suite in PYTHON_SUITES ships "
            f"Python {version} (known: {', '.join(PYTHON_SUITES)}); build with "
            f"--build-arg PYTHON_VERSION= one of those, or add a suite to PYTHON_SUITES")
    tag = f"docker.io/library/python:{version}-slim"
    recipe = stand_in_recipe(version)
    with locked("bases"):
        present = podman("image", "inspect", "--format",
                         f'{{{{.Id}}}} {{{{index .Labels "{STAND_IN_LABEL}"}}}}', tag, check=False)
        old_id, _, old_recipe = present.stdout.strip().partition(" ")
        if present.returncode != 0 or old_recipe != recipe:
            import_base(base_tarball(version), tag, recipe)
            check_base(tag, version)
            if present.returncode == 0:
                podman("rmi", old_id, check=False)  # still used by an image built on it: kept
    return tag


def base_packages(version):
    return (f"python{version}", f"python{version}-venv", "ca-certificates")


def stand_in_recipe(version):
    return f"{STAND_IN_RECIPE}:{PYTHON_SUITES[version]}:{','.join(base_packages(version))}"


def base_tarball(version):
    """A tar of a minimal Debian with python ``version`` made to behave like the official slim
    image, made once."""
    bases = ROOT / "bases"
    bases.mkdir(exist_ok=True)
    suite = PYTHON_SUITES[version]
    name = f"python{version}-{suite}-{STAND_IN_RECIPE}"
    tarball = bases / f"{name}.tar"
    if tarball.exists():
        return tarball
    rootfs = bases / f"{name}.rootfs"
    shutil.rmtree(rootfs, ignore_errors=True)  # left by an interrupted run
    if shutil.which("debootstrap") is None:
        pytest.fail(f"debootstrap is not installed: install it: .ci/run does "
                    f"(apt-get install --no-install-recommends {PACKAGES_TO_INSTALL})")
    run(["debootstrap", "--variant=minbase", f"--include={','.join(base_packages(version))}",
         suite, str(rootfs), MIRROR, DEBOOTSTRAP_SCRIPT])
    make_like_official_image(rootfs, version)
    partial = bases / f".{name}.tar.partial"
    run(["tar", "--numeric-owner", "--xattrs", "-C", str(rootfs), "-cf", str(partial), "."])
    os.replace(partial, tarball)
    shutil.rmtree(rootfs)
    return tarball


def make_like_official_image(rootfs, version):
    """Trust the host's CAs (HTTPS goes through a proxy with its own); `python` and `python3`
    run ``version`` whatever the suite's python3 is; pip installed for it and allowed outside a
    virtualenv, in /usr/local as in the official image; no apt lists or caches."""
    certificates = rootfs / "usr/local/share/ca-certificates"
    certificates.mkdir(parents=True, exist_ok=True)
    for certificate in HOST_CA_CERTIFICATES.glob("*.crt"):
        shutil.copy(certificate, certificates / certificate.name)
    run(["chroot", str(rootfs), "update-ca-certificates"])
    for name in ("python", "python3"):
        link = rootfs / "usr/local/bin" / name
        link.unlink(missing_ok=True)
        link.symlink_to(f"/usr/bin/python{version}")
    for marker in rootfs.glob("usr/lib/python3*/EXTERNALLY-MANAGED"):
        marker.unlink()
    install_pip(rootfs, version)
    for cache in ("var/lib/apt/lists", "var/cache/apt"):
        for path in (rootfs / cache).glob("*"):
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            else:
                path.unlink()


def install_pip(rootfs, version):
    """pip from the wheel that pythonX.Y-venv brings, run from the wheel itself: Debian's
    ensurepip only serves virtualenvs. It lands in /usr/local (pip, pip3, pip3.X)."""
    [wheel] = (rootfs / "usr/share/python-wheels").glob("pip-*.whl")
    inside = f"/usr/share/python-wheels/{wheel.name}"
    run(["chroot", str(rootfs), f"python{version}", f"{inside}/pip", "install",
         "--no-index", "--no-cache-dir", "--disable-pip-version-check", "--no-warn-script-location",
         inside])


def import_base(tarball, tag, recipe):
    changes = ([f"ENV {name}={value}" for name, value in BASE_ENV.items()]
               + [f"LABEL {STAND_IN_LABEL}={recipe}", 'CMD ["python3"]'])
    podman("import", *(arg for change in changes for arg in ("--change", change)),
           tarball, tag)


def check_base(tag, version):
    """The stand-in has the Python it is named after, pip, and what the Dockerfile uses."""
    result = podman("run", "--rm", "--network", "none", tag, "sh", "-c",
                    "python --version && python3 --version && pip --version"
                    " && command -v groupadd useradd",
                    check=False)
    output = result.stdout + result.stderr
    lines = result.stdout.splitlines()
    if (result.returncode != 0 or len(lines) < 3
            or not all(line.startswith(f"Python {version}.") for line in lines[:2])
            or not lines[2].endswith(f"(python {version})")):
        podman("rmi", tag, check=False)
        pytest.fail(f"the stand-in {tag} is not what the official image offers "
                    f"(python {version}, pip, groupadd, useradd):\n{output}")


# Built images ----------------------------------------------------------------------------------

# HTTPS from these machines goes through a proxy whose certificate authority the stand-in bases
# trust (make_like_official_image); uv trusts only its own roots unless told to use the system's.
BUILD_ARGS = {"UV_SYSTEM_CERTS": "1"}


def build_image(project, tag, *build_args, check=True):
    """`podman build` of the project's Dockerfile; the docker format keeps HEALTHCHECK. The tag,
    or with ``check`` false the CompletedProcess of a build that may fail.

    Without a layer cache: no intermediate image is left behind once the tag is removed.
    """
    proxy_args = [f"--build-arg={name}={value}" for name, value in BUILD_ARGS.items()]
    result = podman("build", "--format", "docker", "--pull=never", "--layers=false",
                    *proxy_args, *build_args, "-t", tag, project, check=check)
    return tag if check else result


def remove_images(*tags):
    """Remove images the tests built (never the base stand-ins)."""
    if tags:
        podman("rmi", "--force", *tags, check=False)


def inspect_image(tag):
    """`podman image inspect` of one image: Config (Env, Cmd, User), Healthcheck, ..."""
    [image] = json.loads(podman("image", "inspect", tag).stdout)
    return image


def image_files(tag):
    """Every path in the image's file system, as `podman export` of a created container has it
    (no leading slash; directories included)."""
    with container_created(tag) as name:
        export = subprocess.Popen(["podman", "export", name], stdout=subprocess.PIPE,
                                  env=podman_environment())
        try:
            with tarfile.open(fileobj=export.stdout, mode="r|") as archive:
                paths = [member.name.removeprefix("./").rstrip("/") for member in archive]
        finally:
            export.stdout.close()
            code = export.wait(timeout=COMMAND_TIMEOUT)
    assert code == 0, f"podman export {name}: exit {code}"
    return [path for path in paths if path and path != "."]


@contextmanager
def container_created(tag):
    name = unique_name()
    try:
        podman("create", "--name", name, tag)
        yield name
    finally:
        podman("rm", "--force", name, check=False)


# Running containers ----------------------------------------------------------------------------

def unique_name():
    return f"template-tests-{os.getpid()}-{secrets.token_hex(4)}"


@dataclass
class Container:
    name: str

    def inspect(self, template):
        """`podman inspect --format TEMPLATE`, e.g. "{{.State.ExitCode}}", as a string."""
        return podman("inspect", "--format", template, self.name).stdout.strip()

    def state(self):
        return json.loads(self.inspect("{{json .State}}"))

    def logs(self):
        result = podman("logs", self.name)
        return result.stdout + result.stderr

    def exec(self, *command, user=None, check=True):
        user_option = ("--user", str(user)) if user is not None else ()
        return podman("exec", *user_option, self.name, *command, check=check)

    def published_port(self, container_port=8000):
        """The host port on 127.0.0.1 that `-p 127.0.0.1::PORT` chose."""
        mapping = podman("port", self.name, f"{container_port}/tcp").stdout.split()
        assert mapping and mapping[0].startswith("127.0.0.1:"), mapping
        return int(mapping[0].rsplit(":", 1)[1])

    def healthcheck(self):
        """`podman healthcheck run`: exit 0 when healthy (no timer runs it here)."""
        return podman("healthcheck", "run", self.name, check=False)

    def wait_exited(self, timeout):
        """The exit code once the container has stopped; fails after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            state = self.state()
            if state["Status"] in ("exited", "stopped"):
                return state["ExitCode"]
            time.sleep(0.2)
        pytest.fail(f"{self.name} still running after {timeout} s:\n{self.logs()[-4000:]}")


@contextmanager
def running(image, *run_args, command=()):
    """A container of ``image`` started detached with ``run_args``, always removed at the end."""
    container = Container(unique_name())
    try:
        podman("run", "--detach", "--name", container.name, *run_args, image, *command)
        yield container
    finally:
        podman("rm", "--force", "--time", "0", container.name, check=False)


# Service images --------------------------------------------------------------------------------

IMAGES = Path(__file__).resolve().parent / "images"
POSTGRES_TAG = "docker.io/library/postgres:17"
POSTGRES_BASE_PYTHON = "3.13"  # that stand-in is Debian trixie, whose PostgreSQL is 17
SOURCE_LABEL = "org.template-tests.source"


def postgres_image():
    """The tag `docker.io/library/postgres:17`: a stand-in built from images/postgres/ on the
    Debian trixie base, once per machine and again only when that folder changes."""
    base = python_image(POSTGRES_BASE_PYTHON)
    return service_image(IMAGES / "postgres", POSTGRES_TAG, "--build-arg", f"BASE={base}")


NGINX_TAG = "docker.io/library/nginx:1.28"


def nginx_image():
    """The tag `docker.io/library/nginx:1.28`: a stand-in built from images/nginx/ (Debian
    trixie's nginx), once per machine and again only when that folder changes."""
    base = python_image(POSTGRES_BASE_PYTHON)
    return service_image(IMAGES / "nginx", NGINX_TAG, "--build-arg", f"BASE={base}")


REDIS_TAG = "docker.io/library/redis:8"


def redis_image():
    """The tag `docker.io/library/redis:8`: a stand-in built from images/redis/ (Debian
    trixie's redis-server), once per machine and again only when that folder changes."""
    base = python_image(POSTGRES_BASE_PYTHON)
    return service_image(IMAGES / "redis", REDIS_TAG, "--build-arg", f"BASE={base}")


def service_image(folder, tag, *build_args):
    """`podman build` of ``folder`` as ``tag`` unless an image built from the same files is
    there; the image it replaces is removed."""
    source = folder_digest(folder)
    with locked(f"image-{folder.name}"):
        present = podman("image", "inspect", "--format",
                         f'{{{{.Id}}}} {{{{index .Labels "{SOURCE_LABEL}"}}}}', tag, check=False)
        old_id, _, old_source = present.stdout.strip().partition(" ")
        if present.returncode == 0 and old_source == source:
            return tag
        podman("build", "--format", "docker", "--pull=never", "--layers=false",
               "--label", f"{SOURCE_LABEL}={source}", *build_args, "-t", tag, folder)
        if present.returncode == 0:
            podman("rmi", old_id, check=False)
    return tag


def folder_digest(folder):
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            digest.update(f"{path.relative_to(folder)}\0{path.stat().st_mode & 0o111}\0".encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


# The Docker Engine API -------------------------------------------------------------------------

API_START_SECONDS = 30


@contextmanager
def docker_api():
    """`podman system service` on a socket of its own, stopped at the end: the Docker Engine API
    that Docker's own clients (docker compose) talk to, backed by this module's storage.
    Yields the value of DOCKER_HOST."""
    folder = Path(tempfile.mkdtemp(prefix="podman-api-"))
    socket_path = folder / "docker.sock"
    log_path = folder / "service.log"
    with open(log_path, "w") as log:
        service = subprocess.Popen(
            ["podman", "system", "service", "--time=0", f"unix://{socket_path}"],
            stdout=log, stderr=subprocess.STDOUT, env=podman_environment())
    try:
        wait_for_api(socket_path, service, log_path)
        yield f"unix://{socket_path}"
    finally:
        service.terminate()
        try:
            service.wait(timeout=30)
        except subprocess.TimeoutExpired:
            service.kill()
            service.wait(timeout=30)
        shutil.rmtree(folder, ignore_errors=True)


def wait_for_api(socket_path, service, log_path):
    deadline = time.monotonic() + API_START_SECONDS
    while time.monotonic() < deadline:
        if service.poll() is not None:
            pytest.fail(f"podman system service exited {service.returncode}:\n"
                        f"{log_path.read_text(encoding='utf-8')[-4000:]}")
        if api_answers(socket_path):
            return
        time.sleep(0.2)
    pytest.fail(f"podman system service: no answer on {socket_path} after "
                f"{API_START_SECONDS} s:\n{log_path.read_text(encoding='utf-8')[-4000:]}")


def api_answers(socket_path):
    """Whether `GET /_ping` on the socket answers OK."""
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
            client.settimeout(5)
            client.connect(str(socket_path))
            client.sendall(b"GET /_ping HTTP/1.0\r\nHost: podman\r\n\r\n")
            answer = client.recv(4096)
    except OSError:
        return False
    return answer.startswith(b"HTTP/1.") and answer.rstrip().endswith(b"OK")


# Fixed host ports ------------------------------------------------------------------------------

@contextmanager
def host_port(port):
    """Exclusive use of host port ``port`` among the tests that ask for it here (a file lock,
    held across xdist workers) for a file that publishes a fixed port; fails at once when a
    process outside the tests holds it."""
    with locked(f"port-{port}"):
        with socket.socket() as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind(("0.0.0.0", port))
            except OSError as error:
                pytest.fail(f"port {port} is taken ({error}): a file under test publishes this "
                            f"fixed port; stop whatever listens on it")
        yield port
