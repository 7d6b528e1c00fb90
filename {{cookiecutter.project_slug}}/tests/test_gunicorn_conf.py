import gc


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
