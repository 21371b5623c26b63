"""Fixtures shared by all tests: configs on temporary databases, apps, real processes; and
every test fails on an ERROR our code logs unless it is marked ``expect_errors``."""

from __future__ import annotations

import functools
import logging
import os
import re
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, NoReturn

import pytest

from shared.config import deep_merge
from shared.timeutil import ManualClock
from tests.procs import ServiceProcess
from yl_monitor.app import create_app
from yl_monitor.config import MonitorConfig
from yl_monitor.monitor import Monitor
from yl_monitor.schema import metadata
from yl_monitor.store import make_engine

PG_ENV = "YL_TEST_POSTGRES_URL"
OUR_LOGGERS = ("shared", "yl_monitor", "ar_backend", "user_gui")


class _ErrorRecords(logging.Handler):
    """Keeps every record at ERROR or above that reaches it."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def _describe(record: logging.LogRecord) -> str:
    text = f"{record.levelname} {record.name}: {record.getMessage()}"
    if record.exc_info and record.exc_info[1] is not None:
        exc = record.exc_info[1]
        text += f" [{type(exc).__name__}: {exc}]"
    return text


@pytest.fixture(autouse=True)
def face_state_dir(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """Each test's backends keep their face state (ar_backend/face/store.py) in a folder of
    their own, never in the checkout's data/face: in-process studios through the config's
    default, spawned ones through the environment. A test that means to restart onto a
    state names its own ``face.state_dir`` (and passes the same variable to the process)."""
    import ar_backend.config

    # (its parent is the backend's data folder: jobs.sqlite goes there, one per test)
    folder = tmp_path_factory.mktemp("state") / "face"
    folder.mkdir()
    monkeypatch.setattr(ar_backend.config, "DEFAULT_FACE_STATE_DIR", str(folder))
    monkeypatch.setenv("AR_BACKEND__FACE__STATE_DIR", str(folder))
    return folder


@pytest.fixture(scope="session", autouse=True)
def one_opencv_thread_per_worker() -> Iterator[None]:
    """Under pytest-xdist (one worker per core) each worker's OpenCV runs on one thread: its
    default pool of one thread per core would have the workers' pools fight over the same
    cores (about 8% more CPU for the same pixels in the face and file-job tests). The
    pixels are the same either way; a test run without workers keeps OpenCV's default."""
    cv2 = sys.modules.get("cv2")  # (imported by the backend's conftest; never loaded here)
    if cv2 is None or not os.environ.get("PYTEST_XDIST_WORKER"):
        yield
        return
    threads = cv2.getNumThreads()
    cv2.setNumThreads(1)
    yield
    cv2.setNumThreads(threads)


@pytest.fixture(scope="session", autouse=True)
def dlib_models_once() -> Iterator[None]:
    """dlib's model files read once per test session, not once per engine: each fresh
    Studio's or file job's classic engine reads the 68-point landmark model (half a second
    of CPU). A loaded model is only read from (the app shares one between its threads), so
    the engines of a session share it; the engine is otherwise the real one."""
    import dlib

    with pytest.MonkeyPatch.context() as patch:
        for name in ("shape_predictor", "face_recognition_model_v1"):
            patch.setattr(dlib, name, functools.lru_cache(maxsize=None)(getattr(dlib, name)))
        yield


@pytest.fixture(scope="session", autouse=True)
def url_builders_once() -> Iterator[None]:
    """Werkzeug's URL builders compiled once per rule text, not once per app: binding a rule
    compiles two small Python functions from generated source (0.8 ms a rule; most of the
    time of each of the few hundred ``create_app`` calls the tests make). A builder is a
    function of the rule's parsed parts alone (it reaches its converters through the rule
    it is bound to), so rules of the same text share it; a rule with defaults, whose
    builder holds their converted values, is compiled as werkzeug does. Routing is
    otherwise werkzeug's own."""
    from werkzeug.routing.rules import Rule

    compile_builder = Rule._compile_builder
    builders: dict[tuple[Any, ...], Callable[..., tuple[str, str]]] = {}

    def _compile_builder(rule: Rule, append_unknown: bool = True) -> Callable[..., tuple[str, str]]:
        if rule.defaults:
            return compile_builder(rule, append_unknown)
        key = (rule.rule, tuple(rule._trace), append_unknown)
        builder = builders.get(key)
        if builder is None:
            builder = builders[key] = compile_builder(rule, append_unknown)
        return builder

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Rule, "_compile_builder", _compile_builder)
        yield


@pytest.fixture(autouse=True)
def fail_on_logged_errors(request: pytest.FixtureRequest) -> Iterator[None]:
    """Fail a test during which our code (loggers ``shared``, ``yl_monitor``, ``ar_backend``,
    ``user_gui``) logged an ERROR it did not expect, listing the records (like qutebrowser's
    logfail): an error logged and swallowed is a bug the assertions would not see.

    A test that provokes errors on purpose says so with ``@pytest.mark.expect_errors``: with
    no argument every error is expected; with regular expressions, only the records whose
    message matches one of them (``re.search``). Records logged in other processes (the
    services a test spawns) are not seen here: they go to those processes' logs.
    """
    handler = _ErrorRecords()
    loggers = [logging.getLogger(name) for name in OUR_LOGGERS]
    for logger in loggers:
        logger.addHandler(handler)
    try:
        yield
    finally:
        for logger in loggers:
            logger.removeHandler(handler)
    marker = request.node.get_closest_marker("expect_errors")
    if marker is not None and not marker.args:
        return
    patterns = [re.compile(p) for p in marker.args] if marker is not None else []
    unexpected = [r for r in handler.records if not any(p.search(r.getMessage()) for p in patterns)]
    if unexpected:
        listed = "\n".join(f"  {_describe(r)}" for r in unexpected)
        pytest.fail(
            f"{len(unexpected)} unexpected ERROR log record(s):\n{listed}\n"
            "(mark the test @pytest.mark.expect_errors(...) if it provokes them on purpose)",
            pytrace=False,
        )


def require_or_skip(reason: str) -> NoReturn:
    """Skip locally with a reason; in CI (CI=true) a missing part is a failure, not a skip."""
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"CI must provide this: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def postgres_url() -> str | None:
    """YL_TEST_POSTGRES_URL; under pytest-xdist, a database of this worker's own on the same
    server (made once, beside the named one), so that workers never drop each other's tables."""
    url = os.environ.get(PG_ENV)
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not url or not worker:
        return url
    from sqlalchemy import create_engine, make_url, text

    base = make_url(url)
    name = f"{base.database}_{worker}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            found = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name})
            if found.scalar() is None:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


def fresh_db(kind: str, folder: Path, postgres_url: str | None) -> str:
    """A fresh monitor database of ``kind``: a SQLite file in ``folder``, or this worker's
    PostgreSQL database emptied (skipped, failed under CI, without YL_TEST_POSTGRES_URL)."""
    if kind == "sqlite":
        return f"sqlite:///{folder / 'monitor.db'}"
    url = postgres_url
    if not url:
        require_or_skip(f"no PostgreSQL server: set {PG_ENV} (scripts/test_postgres.sh start)")
    engine = make_engine(url)
    metadata.drop_all(engine)
    engine.dispose()
    return url


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path, postgres_url: str | None) -> str:
    """A fresh database: a SQLite file, and PostgreSQL when YL_TEST_POSTGRES_URL is set."""
    return fresh_db(request.param, tmp_path, postgres_url)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'monitor.db'}"


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


def monitor_config(url: str, **overrides: Any) -> MonitorConfig:
    """A monitor's config on ``url`` for tests: no checks, alerts resolve at once."""
    base: dict[str, Any] = {
        "storage": {"url": url},
        "checks": {"enabled": False},
        "alerts": {"resolve_hold": 0},
    }
    return MonitorConfig.model_validate(deep_merge(base, overrides))


def start_monitor(config: MonitorConfig, clock: ManualClock) -> tuple[Any, Monitor]:
    """App + Monitor with the writer running; evaluator ticks are driven by the test (the
    caller stops it)."""
    app = create_app(config, clock=clock)
    mon: Monitor = app.extensions["yl_monitor"]
    mon.start(evaluator=False, checks=False, sampler=False)
    return app, mon


@pytest.fixture
def make_config(sqlite_url: str) -> Callable[..., MonitorConfig]:
    def _make(url: str | None = None, **overrides: Any) -> MonitorConfig:
        return monitor_config(url or sqlite_url, **overrides)

    return _make


@pytest.fixture
def make_monitor(
    make_config: Callable[..., MonitorConfig], clock: ManualClock
) -> Iterator[Callable[..., Any]]:
    """Build app + Monitor with the writer running; evaluator ticks are driven by the test."""
    started: list[Monitor] = []

    def _make(url: str | None = None, **overrides: Any) -> tuple[Any, Monitor]:
        app, mon = start_monitor(make_config(url, **overrides), clock)
        started.append(mon)
        return app, mon

    yield _make
    for mon in started:
        mon.stop()


@pytest.fixture
def app_mon(make_monitor: Callable[..., Any], db_url: str) -> tuple[Any, Monitor]:
    return make_monitor(db_url)


@pytest.fixture
def client(app_mon: tuple[Any, Monitor]) -> Any:
    return app_mon[0].test_client()


@pytest.fixture
def monitor(app_mon: tuple[Any, Monitor]) -> Monitor:
    return app_mon[1]


@pytest.fixture
def spawn(tmp_path: Path) -> Iterator[Callable[..., ServiceProcess]]:
    """Start real service processes; every one is killed at the end of the test."""
    procs: list[ServiceProcess] = []

    def _spawn(module: str, args: list[str], **kwargs: Any) -> ServiceProcess:
        log_path = tmp_path / f"{module}-{len(procs)}.log"
        proc = ServiceProcess(module, args, log_path=log_path, **kwargs)
        procs.append(proc)
        return proc.start()

    yield _spawn
    for proc in procs:
        proc.kill()
