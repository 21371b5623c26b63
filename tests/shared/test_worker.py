"""PeriodicWorker: a named daemon thread, a step every interval, stopped without waiting out
the interval, woken early on demand, and never ended by a step that raises."""

from __future__ import annotations

import logging
import threading
import time

import pytest

from shared.worker import PeriodicWorker

# not one of the project's loggers: tests/conftest.py fails a test on their ERROR records
TEST_LOG = logging.getLogger("tests.worker")


def wait_for(predicate, timeout: float = 5.0) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.01)
    return False


def test_steps_every_interval_in_a_named_daemon_thread() -> None:
    seen: list[threading.Thread] = []
    worker = PeriodicWorker("tick", lambda: seen.append(threading.current_thread()), 0.02)
    worker.start()
    worker.start()  # a no-op while it runs
    assert worker.running
    assert wait_for(lambda: len(seen) >= 3)
    assert worker.stop()
    assert not worker.running
    assert {(t.name, t.daemon) for t in seen} == {("tick", True)}
    assert len({id(t) for t in seen}) == 1


def test_stop_does_not_wait_out_the_interval_and_start_again_works() -> None:
    steps: list[float] = []
    worker = PeriodicWorker("slow", lambda: steps.append(time.monotonic()), 60.0, at_once=True)
    worker.start()
    assert wait_for(lambda: len(steps) == 1)  # at_once: the first step without waiting
    t0 = time.monotonic()
    assert worker.stop(timeout=5)
    assert time.monotonic() - t0 < 1.0
    worker.start()
    assert wait_for(lambda: len(steps) == 2)
    worker.stop()
    assert PeriodicWorker("never", lambda: None, 1.0).stop()  # never started: nothing to wait


def test_wake_runs_the_next_step_now_and_the_interval_is_read_each_time() -> None:
    steps: list[int] = []
    interval = [60.0]
    worker = PeriodicWorker("woken", lambda: steps.append(1), lambda: interval[0])
    worker.start()
    time.sleep(0.05)
    assert steps == []
    worker.wake()
    assert wait_for(lambda: len(steps) == 1)
    interval[0] = 0.01
    worker.wake()  # the next wait reads the new interval
    assert wait_for(lambda: len(steps) >= 4)
    worker.stop()


def test_a_failing_step_is_logged_once_and_the_thread_goes_on(
    caplog: pytest.LogCaptureFixture,
) -> None:
    calls = [0]

    def step() -> None:
        calls[0] += 1
        if calls[0] <= 5:
            raise OSError(f"hiccup {calls[0]}")

    worker = PeriodicWorker("flaky", step, 0.01, logger=TEST_LOG)
    with caplog.at_level(logging.INFO, logger="tests.worker"):
        worker.start()
        assert wait_for(lambda: calls[0] >= 8)
        worker.stop()
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    tracebacks = [r for r in errors if r.exc_info]
    assert len(tracebacks) == 1 and "hiccup 1" in str(tracebacks[0].exc_info[1])  # type: ignore[index]
    assert len(errors) == 2  # "flaky thread failed: ..." and the traceback, once
    assert any("recovered" in r.getMessage() for r in caplog.records)
    assert worker.fault is None
