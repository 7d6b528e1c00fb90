import json
import logging

from {{ cookiecutter.__package }} import create_app
from {{ cookiecutter.__package }}.log import ServiceHandler


def test_logs_are_json_lines_on_stdout_outside_debug(capsys):
    app = create_app({"TESTING": True, "LOG_LEVEL": "INFO"})
    app.logger.info("hello %s", "world")
    record = json.loads(capsys.readouterr().out)
    assert record["message"] == "hello world"
    assert record["level"] == "INFO"
    assert record["name"] == app.logger.name
    assert "time" in record


def test_logs_are_readable_text_in_debug(capsys):
    app = create_app({"DEBUG": True})
    app.logger.warning("plain words")
    out = capsys.readouterr().out
    assert "WARNING [None]" in out and "plain words" in out
    assert not out.startswith("{")


def test_log_level_comes_from_config(capsys):
    app = create_app({"TESTING": True, "LOG_LEVEL": "ERROR"})
    app.logger.warning("dropped")
    assert capsys.readouterr().out == ""
    assert app.logger.level == logging.ERROR


def test_a_second_app_replaces_the_handler_instead_of_doubling_it():
    create_app({"TESTING": True})
    app = create_app({"TESTING": True})
    handlers = [h for h in app.logger.handlers if isinstance(h, ServiceHandler)]
    assert len(handlers) == 1
    assert app.logger.propagate is False
