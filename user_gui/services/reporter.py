"""StatusReporter: the window's heartbeat to the monitor, with its ``gui`` section."""

from __future__ import annotations

import threading
from typing import Any

from shared.heartbeat import HeartbeatSender
from user_gui import __version__
from user_gui.config import MonitorSection

GUI_FIELDS = ("window_active", "video_running", "audio_running", "face_loaded", "language")


class StatusReporter:
    """Reports ``gui`` {window_active, video_running, audio_running, face_loaded, language}.

    ``update_gui_status(**changes)`` records the window's real state and reports a change at
    once; a monitor that is down costs retries and one logged warning, never a frozen caller.
    """

    def __init__(self, cfg: MonitorSection) -> None:
        self._lock = threading.Lock()
        self._gui: dict[str, Any] = dict.fromkeys(GUI_FIELDS, False)
        self._gui["language"] = None  # the window's, once it is open (en, zh_CN)
        self._error: str | None = None
        self.sender = HeartbeatSender(
            monitor_url=cfg.url,
            node_id=cfg.node_id,
            node_name=cfg.node_name,
            node_type="user-gui",
            interval=cfg.report_interval,
            payload=self._payload,
            api_key=cfg.api_key,
            timeout=cfg.timeout,
            max_retries=cfg.max_retries,
            retry_delay=cfg.retry_delay,
            version=__version__,
            enabled=cfg.enabled,
        )
        self.cfg = cfg

    def _payload(self) -> dict[str, Any]:
        with self._lock:
            gui = dict(self._gui)
            error = self._error
        body: dict[str, Any] = {"status": "error" if error else "running", "gui": gui}
        if error:
            body["error"] = error
        return body

    def update_gui_status(self, **changes: Any) -> None:
        unknown = set(changes) - set(GUI_FIELDS)
        if unknown:
            raise ValueError(f"unknown GUI fields: {', '.join(sorted(unknown))}")
        with self._lock:
            changed = any(self._gui.get(k) != v for k, v in changes.items())
            self._gui.update(changes)
        if changed:
            self.sender.trigger()

    def set_error(self, error: str | None) -> None:
        with self._lock:
            self._error = error
        self.sender.trigger()

    def status(self) -> dict[str, Any]:
        """The payload it would send now (the local server's /status)."""
        return self.sender.build_payload()

    def stats(self) -> dict[str, Any]:
        return self.sender.stats()

    def start(self) -> None:
        self.sender.start()

    def stop(self) -> None:
        self.sender.stop()
