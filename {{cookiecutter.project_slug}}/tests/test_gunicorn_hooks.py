"""gunicorn_hooks against the installed gunicorn: a release that changes what they rely on
fails here, with the name of the gunicorn function to look at."""

import inspect
import io
import json
import logging
import socket
from datetime import timedelta
from types import SimpleNamespace

import pytest
from gunicorn import util
from gunicorn.config import Config
from gunicorn.glogging import Logger
from gunicorn.workers.base import Worker

from {{ cookiecutter.__package }}.gunicorn_hooks import (
    AccessLogFields,
    GunicornChanged,
    install_problem_answers,
    write_problem,
)


@pytest.fixture
def gunicorn_logger(load_conf, restore_logging):
    """gunicorn's own logger, set up from gunicorn.conf.py as gunicorn sets it up; what its
    handlers write goes to ``logged``."""
    conf = load_conf()
    cfg = Config()
    for name in ("accesslog", "errorlog", "access_log_format", "logconfig_dict"):
        cfg.set(name, conf[name])
    logger = Logger(cfg)
    logger.logged = io.StringIO()
    for name in ("gunicorn.access", "gunicorn.error"):
        for handler in logging.getLogger(name).handlers:
            handler.setStream(logger.logged)
    return logger


def test_access_lines_carry_each_part_of_the_request_as_a_field(gunicorn_logger):
    response = SimpleNamespace(status="201 CREATED", headers=[("X-Request-ID", "trace-7")],
                               sent=42)
    environ = {"REQUEST_METHOD": "POST", "RAW_URI": "/orders?x=1", "PATH_INFO": "/orders",
               "QUERY_STRING": "x=1", "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "10.0.0.7"}
    gunicorn_logger.access(response, SimpleNamespace(headers=[]), environ,
                           timedelta(microseconds=3500))
    [line] = gunicorn_logger.logged.getvalue().splitlines()
    access = json.loads(line)
    changed = "gunicorn.glogging.Logger.atoms changed: update ACCESS_FIELDS in gunicorn_hooks.py"
    assert {key: access.get(key) for key in ("method", "path", "query", "status", "bytes",
                                             "duration_ms", "remote_addr", "request_id")} == {
        "method": "POST", "path": "/orders", "query": "x=1", "status": 201, "bytes": 42,
        "duration_ms": 3.5, "remote_addr": "10.0.0.7", "request_id": "trace-7"}, changed
    assert access["message"] == "POST /orders 201"
    assert access["name"] == "gunicorn.access" and access["level"] == "INFO"


def test_error_lines_have_the_shape_of_the_service_logs(gunicorn_logger):
    gunicorn_logger.info("Booting worker with pid: %s", 42)
    error = json.loads(gunicorn_logger.logged.getvalue())
    assert set(error) == {"time", "level", "name", "message", "request_id"}
    assert error["message"] == "Booting worker with pid: 42" and error["request_id"] is None


def test_lines_of_other_libraries_carry_the_request_id(gunicorn_logger, app):
    [root] = [handler for handler in logging.getLogger().handlers if handler.name == "stdout"]
    root.setStream(gunicorn_logger.logged)  # where a library's records end up
    with app.test_request_context(headers={"X-Request-ID": "trace-9"}):
        app.preprocess_request()
        logging.getLogger("some.library").warning("its storage is down")
    [line] = gunicorn_logger.logged.getvalue().splitlines()
    record = json.loads(line)
    assert (record["name"], record["request_id"]) == ("some.library", "trace-9")


@pytest.fixture
def original_write_error(monkeypatch):
    monkeypatch.setattr(util, "write_error", util.write_error)  # put back after the test
    return util.write_error


def test_requests_gunicorn_refuses_itself_get_problem_json(original_write_error):
    install_problem_answers()
    assert util.write_error is write_problem
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


def test_a_changed_error_writer_stops_startup_naming_it(original_write_error, monkeypatch):
    monkeypatch.setattr(util, "write_error", lambda sock, status, reason, message, extra: None)
    with pytest.raises(GunicornChanged, match=r"gunicorn\.util\.write_error takes"):
        install_problem_answers()


def test_the_hooks_are_what_gunicorn_conf_installs(load_conf, original_write_error):
    conf = load_conf()
    assert conf["logconfig_dict"]["filters"]["fields"]["()"].endswith(
        "gunicorn_hooks.AccessLogFields")
    conf["on_starting"](None)
    # by name: a test before this one may have imported the package afresh
    assert (util.write_error.__module__, util.write_error.__name__) == (
        write_problem.__module__, "write_problem")


def test_access_fields_of_a_record_without_atoms_are_empty():
    record = logging.makeLogRecord({"msg": "plain", "args": ()})
    assert AccessLogFields().filter(record) and record.status is None


def test_a_worker_has_its_signal_handlers_before_post_worker_init():
    """release_worker_signals, called by post_worker_init, relies on this order."""
    source = inspect.getsource(Worker.init_process)
    assert source.index("self.init_signals()") < source.index("self.cfg.post_worker_init("), (
        "gunicorn.workers.base.Worker.init_process changed: see hold_worker_signals in "
        "gunicorn_hooks.py")
