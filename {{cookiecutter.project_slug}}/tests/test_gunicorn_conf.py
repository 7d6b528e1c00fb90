import gc
import json
import logging
import logging.config
import os
import runpy
import socket
import tempfile
from pathlib import Path

import pytest

CONF = Path(__file__).resolve().parent.parent / "gunicorn.conf.py"
VARIABLES = ("HOST", "PORT", "WEB_CONCURRENCY", "GUNICORN_TIMEOUT", "GUNICORN_GRACEFUL_TIMEOUT")


@pytest.fixture
def load_conf(monkeypatch, tmp_path):
    """Read gunicorn.conf.py as gunicorn does, with a private copy of the environment."""

    def load(**env):
        environ = {k: v for k, v in os.environ.items() if k not in VARIABLES}
        monkeypatch.setattr(os, "environ", {**environ, **env})
        monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # what the settings create
        return runpy.run_path(str(CONF))

    return load


@pytest.fixture
def restore_logging():
    loggers = [logging.getLogger(name) for name in ("", "gunicorn.error", "gunicorn.access")]
    saved = [(logger, logger.handlers[:], logger.level, logger.propagate) for logger in loggers]
    yield
    for logger, handlers, level, propagate in saved:
        logger.handlers[:] = handlers
        logger.setLevel(level)
        logger.propagate = propagate


def test_gunicorn_serves_the_app_factory(load_conf):
    conf = load_conf()
    assert conf["wsgi_app"] == "{{ cookiecutter.__package }}:create_app()"
    assert conf["preload_app"] is True


def test_the_preloaded_app_is_frozen_before_each_fork(load_conf):
    load_conf()["pre_fork"](None, None)
    try:
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()


def test_bind_comes_from_host_and_port(load_conf):
    assert load_conf()["bind"] == "0.0.0.0:8000"
    assert load_conf(HOST="127.0.0.1", PORT="9123")["bind"] == "127.0.0.1:9123"


def test_workers_come_from_web_concurrency_with_a_sane_default(load_conf):
    assert load_conf(WEB_CONCURRENCY="3")["workers"] == 3
    assert 1 <= load_conf()["workers"] <= 8


def test_timeouts_are_set_and_configurable(load_conf):
    conf = load_conf()
    assert conf["timeout"] == 30 and conf["graceful_timeout"] == 30
    conf = load_conf(GUNICORN_TIMEOUT="60", GUNICORN_GRACEFUL_TIMEOUT="20")
    assert conf["timeout"] == 60 and conf["graceful_timeout"] == 20


def test_access_and_error_logs_are_json_lines_with_the_request_id(
        load_conf, restore_logging, capsys):
    conf = load_conf()
    logging.config.dictConfig(conf["logconfig_dict"])
    atoms = {"h": "127.0.0.1", "r": "GET / HTTP/1.1", "s": "200", "b": "42", "M": "3",
             "{x-request-id}o": "trace-7"}
    logging.getLogger("gunicorn.access").info(conf["access_log_format"], atoms)
    logging.getLogger("gunicorn.error").info("Booting worker with pid: %s", 42)
    access, error = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert set(access) == set(error) == {"time", "level", "name", "message", "request_id"}
    assert access["message"] == '127.0.0.1 "GET / HTTP/1.1" 200 42 3ms'
    assert access["request_id"] == "trace-7"
    assert access["name"] == "gunicorn.access" and access["level"] == "INFO"
    assert error["message"] == "Booting worker with pid: 42"
    assert error["request_id"] is None


def test_requests_gunicorn_refuses_itself_get_problem_json(load_conf, monkeypatch):
    from gunicorn import util

    conf = load_conf()
    monkeypatch.setattr(util, "write_error", util.write_error)  # put back after the test
    conf["on_starting"](None)
    assert util.write_error is conf["write_problem"]
    server, client = socket.socketpair()
    with server, client:
        util.write_error(server, 414, "URI Too Long", "Request Line is too large (5000 > 4094)")
        server.shutdown(socket.SHUT_WR)
        answer = b"".join(iter(lambda: client.recv(65536), b""))
    head, body = answer.split(b"\r\n\r\n", 1)
    status, *lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines)
    assert status == "HTTP/1.1 414 URI Too Long"
    assert headers["Content-Type"] == "application/problem+json"
    assert headers["Connection"] == "close"
    assert int(headers["Content-Length"]) == len(body)
    assert json.loads(body) == {"type": "about:blank", "title": "URI Too Long", "status": 414,
                                "detail": "Request Line is too large (5000 > 4094)",
                                "request_id": headers["X-Request-ID"]}
