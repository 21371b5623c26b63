"""ListPoller (pytest-qt, offscreen): one list read again and again on the pool, one read at
a time, with a read function the test holds open and lets go of."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest

pytest.importorskip("PyQt5")

TIMEOUT_MS = 5000


class Reads:
    """The read function: each call is numbered and waits until the test lets it go (or, with
    ``hold`` off, returns at once); it answers its number or raises ``fail``."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.gates: list[threading.Event] = []
        self.running = 0
        self.most_at_once = 0
        self.threads: set[int] = set()
        self.hold = True
        self.fail: str | None = None

    @property
    def started(self) -> int:
        with self.lock:
            return len(self.gates)

    def __call__(self) -> int:
        with self.lock:
            gate = threading.Event()
            if not self.hold:
                gate.set()
            self.gates.append(gate)
            number = len(self.gates)
            self.running += 1
            self.most_at_once = max(self.most_at_once, self.running)
            self.threads.add(threading.get_ident())
            fail = self.fail
        gate.wait(10)
        with self.lock:
            self.running -= 1
        if fail is not None:
            raise RuntimeError(fail)
        return number

    def release(self, number: int) -> None:
        with self.lock:
            self.gates[number - 1].set()

    def release_all(self) -> None:
        with self.lock:
            self.hold = False
            for gate in self.gates:
                gate.set()


class Plan:
    """The interval the poller asks for after each answer: None (plan nothing) unless set."""

    def __init__(self) -> None:
        self.ms: int | None = None
        self.asked = 0

    def __call__(self) -> int | None:
        self.asked += 1
        return self.ms


@pytest.fixture
def reads() -> Iterator[Reads]:
    from user_gui.app.workers import python_pool

    r = Reads()
    yield r
    r.release_all()
    python_pool().waitForDone(10000)


@pytest.fixture
def plan() -> Plan:
    return Plan()


@pytest.fixture
def poller(qtbot, reads: Reads, plan: Plan) -> Iterator[Any]:  # type: ignore[no-untyped-def]
    from PyQt5.QtCore import QObject

    from user_gui.app.workers import ListPoller

    owner = QObject()
    p = ListPoller(reads, plan, owner)
    assert p.parent() is owner
    yield p
    p.stop()
    reads.release_all()
    owner.deleteLater()


def collect(signal: Any) -> list[Any]:
    got: list[Any] = []
    signal.connect(got.append)
    return got


def test_one_read_at_a_time_and_a_refresh_meanwhile_gives_one_more(qtbot, poller, reads) -> None:  # type: ignore[no-untyped-def]
    listed = collect(poller.listed)
    poller.refresh()
    qtbot.waitUntil(lambda: reads.started == 1, timeout=TIMEOUT_MS)
    assert poller.fetching
    poller.refresh()  # while the first read runs: one more read after it, not now
    poller.refresh()
    qtbot.wait(100)
    assert reads.started == 1
    with qtbot.waitSignal(poller.listed, timeout=TIMEOUT_MS) as first:
        reads.release(1)
    assert first.args == [1]
    qtbot.waitUntil(lambda: reads.started == 2, timeout=TIMEOUT_MS)  # the refresh asked for
    with qtbot.waitSignal(poller.listed, timeout=TIMEOUT_MS) as second:
        reads.release(2)
    assert second.args == [2]
    qtbot.waitUntil(lambda: not poller.fetching, timeout=TIMEOUT_MS)
    qtbot.wait(200)
    assert reads.started == 2  # two refreshes during a read: exactly one more read
    assert listed == [1, 2]
    assert reads.most_at_once == 1
    assert threading.get_ident() not in reads.threads  # never read on the GUI thread


def test_the_next_read_is_planned_with_the_interval_it_asks_for(qtbot, poller, reads, plan) -> None:  # type: ignore[no-untyped-def]
    reads.hold = False
    plan.ms = 30
    listed = collect(poller.listed)
    poller.refresh()
    qtbot.waitUntil(lambda: len(listed) >= 3, timeout=TIMEOUT_MS)  # read again by itself
    assert listed[:3] == [1, 2, 3]
    plan.ms = None  # nothing planned from the next answer on
    seen = len(listed)
    qtbot.waitUntil(lambda: len(listed) > seen, timeout=TIMEOUT_MS)
    count = reads.started
    qtbot.wait(200)
    assert reads.started == count
    assert reads.most_at_once == 1


def test_an_answer_read_before_a_change_is_dropped_and_read_again(qtbot, poller, reads) -> None:  # type: ignore[no-untyped-def]
    listed = collect(poller.listed)
    poller.refresh()
    qtbot.waitUntil(lambda: reads.started == 1, timeout=TIMEOUT_MS)
    poller.changed()  # a change made here while the read was on its way: its answer is stale
    reads.release(1)
    qtbot.waitUntil(lambda: reads.started == 2, timeout=TIMEOUT_MS)  # read again at once
    assert listed == []
    with qtbot.waitSignal(poller.listed, timeout=TIMEOUT_MS) as fresh:
        reads.release(2)
    assert fresh.args == [2]
    assert listed == [2]


def test_nothing_is_delivered_or_read_after_stop(qtbot, poller, reads, plan) -> None:  # type: ignore[no-untyped-def]
    plan.ms = 20
    listed = collect(poller.listed)
    failed = collect(poller.failed)
    poller.refresh()
    qtbot.waitUntil(lambda: reads.started == 1, timeout=TIMEOUT_MS)
    poller.refresh()  # one more asked for: stop drops it too
    poller.stop()
    assert poller.stopped
    reads.release(1)
    qtbot.waitUntil(lambda: not poller.fetching, timeout=TIMEOUT_MS)
    poller.refresh()
    qtbot.wait(200)
    assert listed == [] and failed == []
    assert reads.started == 1
    assert plan.asked == 0  # nothing planned after stop


def test_a_failed_read_says_so_and_the_next_read_is_planned(qtbot, poller, reads, plan) -> None:  # type: ignore[no-untyped-def]
    reads.hold = False
    reads.fail = "the service is down"
    plan.ms = 30
    with qtbot.waitSignal(poller.failed, timeout=TIMEOUT_MS) as failure:
        poller.refresh()
    assert failure.args == ["the service is down"]
    reads.fail = None  # the service is back: the planned read lists
    with qtbot.waitSignal(poller.listed, timeout=TIMEOUT_MS) as answer:
        pass
    assert answer.args[0] >= 2
    assert plan.asked >= 1


def test_pause_drops_the_planned_read_until_refresh(qtbot, poller, reads, plan) -> None:  # type: ignore[no-untyped-def]
    reads.hold = False
    plan.ms = 100
    with qtbot.waitSignal(poller.listed, timeout=TIMEOUT_MS):
        poller.refresh()
    poller.pause()
    qtbot.wait(300)
    assert reads.started == 1
    with qtbot.waitSignal(poller.listed, timeout=TIMEOUT_MS) as again:
        poller.refresh()
    assert again.args == [2]


def test_an_answer_for_a_deleted_widget_is_dropped(qtbot) -> None:  # type: ignore[no-untyped-def]
    """A call still running when its window closes: its answer changes nothing and raises
    nothing in Qt's event loop (pytest-qt fails a test on such an error)."""
    import threading

    from PyQt5.QtWidgets import QLabel

    from user_gui.app.workers import run_async

    label = QLabel("waiting")
    release = threading.Event()
    answered: list[str] = []
    run_async(lambda: release.wait(5) and "done", lambda r: (label.setText(r), answered.append(r)))
    label.deleteLater()
    qtbot.wait(50)  # deleted now
    release.set()
    qtbot.wait(300)  # the answer came back and was dropped
    assert answered == []
    shown: list[str] = []
    run_async(lambda: "fine", shown.append)  # a live receiver still gets its answer
    qtbot.waitUntil(lambda: shown == ["fine"], timeout=5000)
