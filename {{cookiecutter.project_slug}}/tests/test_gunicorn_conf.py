import gc
import os
import signal
import warnings

from {{ cookiecutter.__package }}.gunicorn_hooks import WORKER_SIGNALS, release_worker_signals


def blocked():
    return set(signal.pthread_sigmask(signal.SIG_BLOCK, [])) & WORKER_SIGNALS


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
        release_worker_signals()


def test_a_signal_sent_while_a_worker_boots_waits_for_its_handlers(load_conf):
    """pre_fork holds what the master sends a worker: the master has it back as soon as fork
    returns, the worker once post_worker_init runs (gunicorn has installed its handlers)."""
    conf = load_conf()
    conf["pre_fork"](None, None)
    try:
        with warnings.catch_warnings():  # the child runs a few system calls, then _exit
            warnings.simplefilter("ignore", DeprecationWarning)
            pid = os.fork()
        if pid == 0:  # the worker
            code = 1
            try:
                handled = []
                signal.signal(signal.SIGTERM, lambda *_: handled.append(True))  # init_signals
                os.kill(os.getpid(), signal.SIGTERM)  # the master stops while the worker boots
                held = blocked() == WORKER_SIGNALS and not handled
                conf["post_worker_init"](None)
                code = 0 if held and handled == [True] and not blocked() else 1
            finally:
                os._exit(code)
        assert not blocked()
        assert os.waitpid(pid, 0)[1] == 0
    finally:
        gc.unfreeze()
        release_worker_signals()


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
