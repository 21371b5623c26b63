"""One refresh of each service, made on the pool (never on the GUI thread): its health, and
what the window shows of it (the backend's camera, face, voice, outputs and background; the
monitor's open alerts). A call that fails while the service is healthy is kept as its
error."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from shared.http import HttpError
from shared.wire.backend import (
    AudioStatus,
    BackgroundStatus,
    CameraAccess,
    CameraStatus,
    FaceStatus,
    HealthOut,
    OutputsStatus,
)
from shared.wire.monitor import AlertView
from user_gui.services.clients import ARBackendClient, MonitorClient

log = logging.getLogger(__name__)


@dataclass
class ServiceCheck:
    """One refresh of a service: its health and what the window shows."""

    status: str  # healthy / offline / unhealthy / unknown (ServiceStatus)
    latency_ms: float | None
    last_error: str | None

    @property
    def latency(self) -> str:
        return f"{self.latency_ms} ms" if self.latency_ms is not None else ""


@dataclass
class BackendCheck(ServiceCheck):
    camera: CameraStatus | None = None  # None: not read (the error says why)
    camera_error: str = ""
    face: FaceStatus | None = None
    face_error: str = ""
    audio: AudioStatus | None = None
    audio_error: str = ""
    outputs: OutputsStatus | None = None
    camera_access: CameraAccess | None = None  # a camera there that this user may not open
    background: BackgroundStatus | None = None
    background_error: str = ""


@dataclass
class MonitorCheck(ServiceCheck):
    alerts: list[AlertView] = field(default_factory=list)
    alerts_error: str = ""


def check_backend(backend: ARBackendClient) -> BackendCheck:
    """The backend's health, then (when healthy) its camera, face, voice, outputs and
    background."""
    ok = backend.health_check()
    info = BackendCheck(backend.status.value, backend.latency_ms, backend.last_error)
    health = backend.last_health
    if isinstance(health, HealthOut):
        info.camera_access = health.camera_access
    if ok:
        try:
            info.camera = backend.camera_status()
        except HttpError as exc:  # healthy but the call failed: still update the panel
            info.camera_error = str(exc)
        try:
            info.face = backend.face_status()
        except HttpError as exc:
            info.face_error = str(exc)
        try:
            info.audio = backend.audio_status()
        except HttpError as exc:
            info.audio_error = str(exc)
        try:
            info.outputs = backend.outputs()
        except HttpError as exc:
            log.debug("outputs not read: %s", exc)
        try:
            info.background = backend.background_status()
        except HttpError as exc:
            info.background_error = str(exc)
    return info


def check_monitor(monitor: MonitorClient) -> MonitorCheck:
    """The monitor's health, then (when healthy) its open alerts."""
    ok = monitor.health_check()
    info = MonitorCheck(monitor.status.value, monitor.latency_ms, monitor.last_error)
    if ok:
        try:
            info.alerts = monitor.alerts()
        except HttpError as exc:  # healthy, but the list could not be read
            info.alerts_error = str(exc)
    return info
