"""/health, /status, /metrics."""

from __future__ import annotations

from collections.abc import Iterator

from flask import Blueprint, current_app
from flask.typing import ResponseReturnValue
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from ar_backend import SERVICE_NAME, __version__
from ar_backend.api import get_studio
from ar_backend.studio import Studio
from shared.api import answer
from shared.metrics import metrics_route
from shared.openapi import operation
from shared.sysmetrics import SystemMetricsSampler
from shared.timeutil import utc_now_iso
from shared.wire.backend import HealthOut, MetricsOut, StatusOut
from shared.wire.base import extended

bp = Blueprint("health", __name__)


@bp.get("/health")
@operation("Liveness", ok=HealthOut, tags=("health",))
def health() -> ResponseReturnValue:
    studio = get_studio()
    return answer(
        HealthOut(
            status="healthy",
            service=SERVICE_NAME,
            version=__version__,
            timestamp=utc_now_iso(),
            uptime=round(studio.uptime(), 3),
            camera_access=studio.camera_access(),
        )
    )


@bp.get("/status")
@operation(
    "Camera, pipeline, outputs, audio and face state; never opens a device",
    ok=StatusOut,
    tags=("health",),
)
def status() -> ResponseReturnValue:
    said = {"service": SERVICE_NAME, "timestamp": utc_now_iso()}
    return answer(extended(StatusOut, get_studio().status(), **said))


class StudioCollector(Collector):
    """The live path's figures for Prometheus, read at scrape time."""

    def __init__(self, studio: Studio, sampler: SystemMetricsSampler) -> None:
        self._studio = studio
        self._sampler = sampler

    def collect(self) -> Iterator[GaugeMetricFamily | CounterMetricFamily]:
        cam = self._studio.camera_status()
        running = GaugeMetricFamily("ar_backend_camera_running", "1 while the camera runs.")
        running.add_metric([], 1.0 if cam.state in ("running", "reconnecting") else 0.0)
        yield running
        yield GaugeMetricFamily(
            "ar_backend_fps_in", "Frames per second from the source.", value=cam.fps_in
        )
        yield GaugeMetricFamily(
            "ar_backend_fps_out", "Frames per second out of the pipeline.", value=cam.fps_out
        )
        yield CounterMetricFamily(
            "ar_backend_frames_dropped", "Frames dropped (stale).", value=cam.dropped_frames
        )
        lat = GaugeMetricFamily(
            "ar_backend_latency_ms", "Capture-to-output latency.", labels=["quantile"]
        )
        for q, value in (("0.5", cam.latency_ms.p50), ("0.95", cam.latency_ms.p95)):
            if value is not None:
                lat.add_metric([q], value)
        yield lat
        system = self._sampler.snapshot()
        yield GaugeMetricFamily(
            "ar_backend_system_cpu_percent", "Host CPU percent.", value=system.cpu_percent
        )


def _figures() -> MetricsOut:
    return MetricsOut(
        service=SERVICE_NAME,
        system=current_app.extensions["ar_backend_sampler"].snapshot(),
        camera=get_studio().camera_status(),
        timestamp=utc_now_iso(),
    )


metrics_route(bp, MetricsOut, _figures)
