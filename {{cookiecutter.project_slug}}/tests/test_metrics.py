import atexit
import os
import re
import runpy
import struct
import tempfile
from pathlib import Path
from types import SimpleNamespace

import pytest
from prometheus_client import values
from prometheus_client.mmap_dict import MmapedDict
from prometheus_client.parser import text_string_to_metric_families

from {{ cookiecutter.__package }} import create_app
from {{ cookiecutter.__package }}.metrics import LABELS, UNMATCHED

CONF = Path(__file__).resolve().parent.parent / "gunicorn.conf.py"


@pytest.fixture(autouse=True)
def single_process(monkeypatch):
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", "")


@pytest.fixture
def app(app):
    @app.get("/test/orders/<int:order_id>")
    def order(order_id):
        return {"id": order_id}

    return app


def samples(client, name="http_requests_total"):
    """{(method, route, status): value} of one sample name, read from GET /metrics."""
    response = client.get("/metrics")
    assert response.status_code == 200
    found = {}
    for family in text_string_to_metric_families(response.get_data(as_text=True)):
        for sample in family.samples:
            if sample.name == name:
                found[tuple(sample.labels[label] for label in LABELS)] = sample.value
    return found


def test_metrics_are_in_prometheus_text_format(client):
    response = client.get("/metrics")
    assert response.mimetype == "text/plain"
    text = response.get_data(as_text=True)
    assert re.search(r"^# TYPE http_requests(_total)? counter$", text, re.MULTILINE)
    assert "# TYPE http_request_duration_seconds histogram" in text


def test_requests_are_counted_by_method_route_template_and_status(client):
    client.get("/test/orders/1")
    client.get("/test/orders/2")
    client.get("/")
    assert samples(client) == {("GET", "/test/orders/<int:order_id>", "200"): 2,
                               ("GET", "/", "200"): 1}


def test_latency_is_a_histogram_with_the_same_labels(client):
    client.get("/")
    assert samples(client, "http_request_duration_seconds_count") == {("GET", "/", "200"): 1}
    [total] = samples(client, "http_request_duration_seconds_sum").values()
    assert total >= 0


def test_unmatched_requests_never_use_the_raw_path(client):
    client.get("/no/such/path")
    assert samples(client) == {("GET", UNMATCHED, "404"): 1}
    assert "/no/such/path" not in client.get("/metrics").get_data(as_text=True)


def test_unknown_methods_share_one_label(client):
    assert client.open("/", method="BREW").status_code == 405
    assert samples(client) == {("OTHER", UNMATCHED, "405"): 1}


def test_health_and_metrics_are_not_counted_by_default(client):
    for path in ("/healthz", "/readyz", "/metrics"):
        assert client.get(path).status_code == 200
    assert samples(client) == {}


def test_ignored_routes_are_configurable():
    client = create_app({"TESTING": True, "METRICS_IGNORED_ROUTES": []}).test_client()
    client.get("/healthz")
    client.get("/metrics")
    assert samples(client) == {("GET", "/healthz", "200"): 1, ("GET", "/metrics", "200"): 1}


def test_each_app_counts_its_own_requests():
    first = create_app({"TESTING": True}).test_client()
    second = create_app({"TESTING": True}).test_client()
    first.get("/")
    assert samples(first) == {("GET", "/", "200"): 1}
    assert samples(second) == {}


def test_under_gunicorn_metrics_add_up_the_files_of_every_worker(client, monkeypatch, tmp_path):
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    for pid, count in ((101, 2), (102, 3)):
        worker_value = values.MultiProcessValue(process_identifier=lambda pid=pid: pid)
        value = worker_value("counter", "http_requests", "http_requests_total", LABELS,
                             ("GET", "/", "200"), "HTTP requests answered")
        value.inc(count)
        value._file.close()
    assert samples(client) == {("GET", "/", "200"): 5}


def test_a_metrics_file_caught_while_it_is_created_is_read_again(client, monkeypatch, tmp_path):
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    worker_value = values.MultiProcessValue(process_identifier=lambda: 103)
    value = worker_value("counter", "http_requests", "http_requests_total", LABELS,
                         ("GET", "/", "200"), "HTTP requests answered")
    value.inc(4)
    value._file.close()
    reads = []

    def being_created_then_sized(path):
        reads.append(path)
        if len(reads) == 1:  # what a file that is still empty gives
            raise struct.error("unpack_from requires a buffer of at least 4 bytes")
        return real_read(path)

    real_read = MmapedDict.read_all_values_from_file
    monkeypatch.setattr(MmapedDict, "read_all_values_from_file", being_created_then_sized)
    assert samples(client) == {("GET", "/", "200"): 4}
    assert len(reads) == 2


def test_metrics_files_that_stay_unreadable_are_a_503_problem(client, monkeypatch, tmp_path):
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    (tmp_path / "counter_104.db").write_bytes(b"")

    def corrupted(path):
        raise RuntimeError("Read beyond file size detected, file is corrupted.")

    monkeypatch.setattr(MmapedDict, "read_all_values_from_file", corrupted)
    response = client.get("/metrics")
    assert response.status_code == 503
    assert response.mimetype == "application/problem+json"


@pytest.fixture
def gunicorn_environ(monkeypatch, tmp_path):
    """The environment of one gunicorn master, which reads gunicorn.conf.py at start and on HUP."""
    from gunicorn import util

    environ = {k: v for k, v in os.environ.items() if k != "PROMETHEUS_MULTIPROC_DIR"}
    monkeypatch.setattr(os, "environ", environ)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.setattr(util, "write_error", util.write_error)  # on_starting replaces it
    return environ


@pytest.fixture
def at_exit(monkeypatch):
    """What reading gunicorn.conf.py leaves for the process's exit, instead of registering it."""
    registered = []
    monkeypatch.setattr(atexit, "register", lambda *call: registered.append(call))
    return registered


def test_a_reload_keeps_the_samples_and_the_masters_exit_takes_its_directory_away(
        gunicorn_environ, tmp_path, at_exit):
    conf = runpy.run_path(str(CONF))  # gunicorn starts
    conf["on_starting"](None)
    made = Path(gunicorn_environ["PROMETHEUS_MULTIPROC_DIR"])
    assert made.parent == tmp_path and made.is_dir()
    (made / "counter_4242.db").write_bytes(b"counts")
    again = runpy.run_path(str(CONF))  # kill -HUP: gunicorn reads its settings again
    assert again["metrics_dir"] == made and (made / "counter_4242.db").exists()
    [(remove, directory, master_pid)] = at_exit  # once, by the first reading
    remove(directory, master_pid + 1)  # a worker exits
    assert made.exists()
    remove(directory, master_pid)  # the master exits, even before on_starting would run
    assert not made.exists()


def test_a_given_metrics_directory_is_emptied_when_the_server_starts_and_kept(
        gunicorn_environ, tmp_path, at_exit):
    given = tmp_path / "given"
    given.mkdir()
    (given / "counter_1.db").write_bytes(b"stale")
    (given / "notes.txt").write_text("kept")
    gunicorn_environ["PROMETHEUS_MULTIPROC_DIR"] = str(given)
    conf = runpy.run_path(str(CONF))
    assert (given / "counter_1.db").exists()  # reading the settings removes nothing
    conf["on_starting"](None)
    assert sorted(p.name for p in given.iterdir()) == ["notes.txt"]
    assert not at_exit  # and nothing removes it


def test_a_dead_worker_is_marked(gunicorn_environ, tmp_path):
    gunicorn_environ["PROMETHEUS_MULTIPROC_DIR"] = str(tmp_path)
    child_exit = runpy.run_path(str(CONF))["child_exit"]
    (tmp_path / "gauge_livesum_4242.db").write_bytes(b"")
    (tmp_path / "counter_4242.db").write_bytes(b"")
    child_exit(None, SimpleNamespace(pid=4242))
    assert [p.name for p in tmp_path.iterdir()] == ["counter_4242.db"]
