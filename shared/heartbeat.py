"""The heartbeat sender: a node (ar_backend, user_gui) reporting its status to yl_monitor.

One :class:`HeartbeatSender` per process. It registers the node once, then POSTs a status
payload every ``interval`` seconds from a daemon thread named ``heartbeat``. A monitor that is
down never crashes or blocks the caller: failures are counted, logged once when they start and
once when they clear, and the sender registers again when the monitor comes back.

No Flask, no Qt: the owner supplies ``payload()``, which returns the node's own sections
(``{"status": "running", "camera": {...}}``), and calls ``start()`` / ``stop()``.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import psutil

from shared import __version__
from shared.http import HttpClient, HttpError
from shared.logs import FaultLatch
from shared.timeutil import utc_now_iso
from shared.worker import PeriodicWorker

log = logging.getLogger(__name__)


class HeartbeatSender:
    """Reports one node to the monitor: register once, then a beat every ``interval`` s.

    Each beat is ``POST /api/ar/nodes/<node_id>/heartbeat`` with ``node_id``, ``node_name``,
    ``node_type``, ``timestamp`` (ISO-8601 UTC, ``Z``), ``version``, ``uptime`` (seconds since
    ``start()``), ``interval`` (so the monitor knows when to expect the next one) and
    ``resources`` {``cpu_percent``, ``memory_mb``, ``threads``} of this process, merged with
    what ``payload()`` returns (its keys win, except ``node_id``). When ``payload()`` raises,
    the beat still goes, with ``status: "error"`` and the ``error`` text.

    Each beat carries a fresh ``beat_id``, the same on every retry of that beat, so a beat
    whose answer was lost and that was sent again is stored once (the monitor answers the
    retry ``duplicate: true``).

    ``trigger()`` wakes the thread to report a change at once; ``beat_now()`` sends one beat
    synchronously. ``stats()`` is the user GUI's ``/stats`` answer.
    """

    def __init__(
        self,
        monitor_url: str,
        node_id: str,
        node_name: str,
        node_type: str,
        interval: float,
        payload: Callable[[], dict[str, Any]],
        *,
        api_key: str | None = None,
        timeout: float = 5.0,
        max_retries: int = 1,
        retry_delay: float = 0.5,
        version: str = __version__,
        enabled: bool = True,
    ) -> None:
        if interval <= 0:
            raise ValueError("interval must be positive")
        self.monitor_url = monitor_url.rstrip("/")
        self.node_id = node_id
        self.node_name = node_name
        self.node_type = node_type
        self.interval = float(interval)
        self.version = version
        self.enabled = enabled
        self._payload = payload
        self._timeout = timeout
        self._max_retries = max_retries
        self._retry_delay = retry_delay
        self._client = HttpClient(
            self.monitor_url,
            timeout=timeout,
            retries=max_retries,
            backoff=retry_delay,
            api_key=api_key,
        )
        self._beat_path = f"/api/ar/nodes/{quote(node_id, safe='')}/heartbeat"
        # the ``heartbeat`` thread: beat_now() at once, then every interval or on trigger()
        self._worker = PeriodicWorker(
            "heartbeat", self.beat_now, lambda: self.interval, at_once=True, logger=log
        )
        self._send_lock = threading.Lock()  # one beat at a time (thread vs beat_now)
        self._stats_lock = threading.Lock()
        self._send_fault = FaultLatch(log, f"heartbeat to {self.monitor_url}")
        self._payload_fault = FaultLatch(log, f"heartbeat payload of {node_id}")
        self._need_register = True
        self._started = time.monotonic()
        self._report_count = 0
        self._error_count = 0
        self._last_report_time: str | None = None
        self._last_error: str | None = None
        self._proc = psutil.Process(os.getpid())
        self._proc.cpu_percent(interval=None)  # prime: the first non-blocking call returns 0.0

    # ---- lifecycle -------------------------------------------------------------------------

    def start(self) -> None:
        """Start the ``heartbeat`` thread; the first beat goes at once. No-op when disabled."""
        if not self.enabled or self.running:
            return
        self._started = time.monotonic()
        self._worker.start()
        log.info(
            "heartbeat: reporting %s to %s every %g s",
            self.node_id,
            self.monitor_url,
            self.interval,
        )

    def stop(self) -> None:
        """Stop the thread and wait for it; a beat in flight is bounded by the HTTP timeout."""
        started = self._worker.running
        # Worst case: a register and a beat, each with every retry timing out.
        attempts = self._max_retries + 1
        limit = 2 * (attempts * self._timeout + self._retry_delay * 2**attempts) + 1
        if self._worker.stop(timeout=limit) and started:
            self._client.close()

    @property
    def running(self) -> bool:
        return self._worker.running

    def trigger(self) -> None:
        """Send a beat soon (from the thread) without waiting for the interval. Thread-safe."""
        self._worker.wake()

    # ---- one beat --------------------------------------------------------------------------

    def build_payload(self) -> dict[str, Any]:
        """The heartbeat body as it would be sent now (also the GUI's ``/status`` answer)."""
        body: dict[str, Any] = {
            "node_id": self.node_id,
            "node_name": self.node_name,
            "node_type": self.node_type,
            "timestamp": utc_now_iso(),
            "status": "running",
            "version": self.version,
            "uptime": round(time.monotonic() - self._started, 3),
            "interval": self.interval,
            "resources": self._resources(),
        }
        try:
            own = self._payload()
            if not isinstance(own, dict):
                raise TypeError(f"payload() returned {type(own).__name__}, not a dict")
        except Exception as exc:
            error = f"{type(exc).__name__}: {exc}"
            if self._payload_fault.fault(error):
                log.exception("heartbeat payload() raised; sending status 'error'")
            body["status"] = "error"
            body["error"] = error
        else:
            self._payload_fault.clear()
            body.update(own)
            body["node_id"] = self.node_id
        return body

    def _resources(self) -> dict[str, Any]:
        try:
            with self._proc.oneshot():
                return {
                    "cpu_percent": float(self._proc.cpu_percent(interval=None)),
                    "memory_mb": round(self._proc.memory_info().rss / 1048576, 1),
                    "threads": self._proc.num_threads(),
                }
        except (psutil.Error, OSError):
            return {}

    def beat_now(self) -> bool:
        """Send one beat synchronously (registering first if due); True when it was recorded.

        Never raises: a failure is counted, kept as ``last_error`` and logged once. A disabled
        sender sends nothing and returns False.
        """
        if not self.enabled:
            return False
        with self._send_lock:
            try:
                if self._need_register:
                    self._register()
                body = self.build_payload()
                body["beat_id"] = uuid.uuid4().hex  # the client's retries resend this body
                self._client.post_json(self._beat_path, body)
            except HttpError as exc:
                if exc.status is None or exc.status >= 500:
                    self._need_register = True  # unreachable: register again once it is back
                self._failed(str(exc))
                return False
            except Exception as exc:  # e.g. a payload that is not JSON: the thread lives on
                self._failed(f"{type(exc).__name__}: {exc}")
                return False
            self._need_register = False  # the monitor registers a node by its first beat too
            with self._stats_lock:
                self._report_count += 1
                self._last_report_time = utc_now_iso()
            self._send_fault.clear()
            return True

    def _register(self) -> None:
        """POST /register. Unreachable: raises (no beat can go either); a 4xx is not fatal."""
        body = {
            "node_id": self.node_id,
            "node_name": self.node_name,
            "node_type": self.node_type,
            "register_time": utc_now_iso(),
        }
        try:
            self._client.post_json("/api/ar/nodes/register", body)
        except HttpError as exc:
            if exc.status is None or exc.status >= 500:
                raise
            log.debug("heartbeat: register refused (%s); the first beat registers the node", exc)
        else:
            log.info("heartbeat: registered %s with %s", self.node_id, self.monitor_url)
        self._need_register = False

    def _failed(self, message: str) -> None:
        with self._stats_lock:
            self._error_count += 1
            self._last_error = message
        self._send_fault.fault(message)

    # ---- stats -----------------------------------------------------------------------------

    def stats(self) -> dict[str, Any]:
        """``running``, ``report_count``, ``error_count``, ``last_report_time``, ``last_error``,
        ``config`` {``node_id``, ``monitor_url``, ``interval``}: the user GUI's ``/stats``."""
        with self._stats_lock:
            return {
                "running": self.running,
                "report_count": self._report_count,
                "error_count": self._error_count,
                "last_report_time": self._last_report_time,
                "last_error": self._last_error,
                "config": {
                    "node_id": self.node_id,
                    "monitor_url": self.monitor_url,
                    "interval": self.interval,
                },
            }
