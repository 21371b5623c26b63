"""A stoppable worker thread that does one step every interval (like Frigate's stats emitter).

Most background threads here do the same thing: wake every few seconds, do one step
(sample psutil, evaluate node states, poll health endpoints, send a beat, look for stalled
viewers, pet systemd's watchdog), and end promptly when their owner stops them::

    self._worker = PeriodicWorker("sysmetrics", self._sample_once, interval=2.0)
    self._worker.start()   # the owner's start()
    self._worker.stop()    # the owner's stop(): no waiting out the interval

The thread is a named daemon thread owned by one object, which starts and stops it. It waits
on its stop event between steps, so ``stop()`` returns as soon as the current step is done;
``wake()`` runs the next step at once (a heartbeat when the state changes). A step that
raises is logged once (and once when steps succeed again, ``FaultLatch``) and the loop goes
on: a hiccup never ends the thread.

Threads that wait on something else than time (a frame slot, a job queue, a socket) are not
this: they keep their own loop.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from shared.logs import FaultLatch

log = logging.getLogger(__name__)


class PeriodicWorker:
    """Calls ``step()`` in a thread named ``name`` every ``interval`` seconds until stopped.

    ``interval`` may be a function, read before each wait (a setting that changes live, a
    backoff). ``at_once``: the first step runs when the thread starts rather than one
    interval later. ``logger``: where a failing step is logged (default: this module's).
    """

    def __init__(
        self,
        name: str,
        step: Callable[[], object],
        interval: float | Callable[[], float],
        *,
        at_once: bool = False,
        logger: logging.Logger | None = None,
    ) -> None:
        self.name = name
        self._step = step
        self._interval = interval if callable(interval) else (lambda: interval)
        self._at_once = at_once
        self._log = logger or log
        self._fault = FaultLatch(self._log, f"{name} thread")
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    # ---- the owner's side ------------------------------------------------------------------

    def start(self) -> None:
        """Start the thread; a no-op while it runs."""
        with self._lock:
            if self._thread is not None:
                return
            # fresh events: a thread that outlived its stop() never sees them cleared
            self._stop, self._wake = threading.Event(), threading.Event()
            self._thread = threading.Thread(
                target=self._run, args=(self._stop, self._wake), name=self.name, daemon=True
            )
            self._thread.start()

    def stop(self, timeout: float = 5.0) -> bool:
        """Ask the thread to end and wait up to ``timeout`` s for the step in progress;
        True when it has ended (or never ran). A later ``start()`` starts a new one."""
        with self._lock:
            self._stop.set()
            self._wake.set()
            thread, self._thread = self._thread, None
        if thread is None:
            return True
        thread.join(timeout)
        if thread.is_alive():
            self._log.warning(
                "%s thread still busy after %.1f s; left to end on its own", self.name, timeout
            )
            return False
        return True

    def wake(self) -> None:
        """Run the next step now rather than at the end of the interval (thread-safe)."""
        self._wake.set()

    @property
    def running(self) -> bool:
        thread = self._thread
        return thread is not None and thread.is_alive() and not self._stop.is_set()

    @property
    def stopping(self) -> bool:
        """True once ``stop()`` was called (a step may check it before a long action)."""
        return self._stop.is_set()

    @property
    def fault(self) -> str | None:
        """The last step's error while steps fail, else None."""
        return self._fault.active

    # ---- the thread ------------------------------------------------------------------------

    def _run(self, stop: threading.Event, wake: threading.Event) -> None:
        if self._at_once:
            self._step_once()
        while True:
            wake.wait(self._interval())  # stop() sets it too
            if stop.is_set():
                return
            wake.clear()  # a wake() during the step below asks for one more
            self._step_once()

    def _step_once(self) -> None:
        try:
            self._step()
        except Exception as exc:  # a hiccup must not end the thread
            if self._fault.fault(f"{type(exc).__name__}: {exc}"):
                self._log.exception("%s: a step failed; retried every interval", self.name)
        else:
            self._fault.clear()
