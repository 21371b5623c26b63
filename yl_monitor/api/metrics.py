"""GET /metrics (shared/metrics.py): the monitor's figures as JSON, and for Prometheus."""

from __future__ import annotations

from collections.abc import Iterator

from flask import Blueprint
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from shared.metrics import metrics_route
from shared.timeutil import utc_now_iso
from shared.wire.monitor import MetricsOut
from yl_monitor import SERVICE_NAME
from yl_monitor.api import get_monitor
from yl_monitor.monitor import Monitor

bp = Blueprint("metrics", __name__)


class MonitorCollector(Collector):
    """Reads the monitor's figures at scrape time."""

    def __init__(self, monitor: Monitor) -> None:
        self._monitor = monitor

    def collect(self) -> Iterator[GaugeMetricFamily | CounterMetricFamily]:
        summary = self._monitor.summary()
        nodes = GaugeMetricFamily("yl_monitor_nodes", "Nodes by state.", labels=["state"])
        for state, count in summary.nodes_by_state.items():
            nodes.add_metric([state], count)
        yield nodes
        yield GaugeMetricFamily(
            "yl_monitor_open_alerts", "Alerts firing or acknowledged.", value=summary.open_alerts
        )
        hb = summary.heartbeats
        yield CounterMetricFamily(
            "yl_monitor_heartbeats_received",
            "Heartbeats accepted into the queue.",
            value=hb.accepted,
        )
        yield CounterMetricFamily(
            "yl_monitor_heartbeats_stored", "Heartbeats committed to the store.", value=hb.stored
        )
        yield CounterMetricFamily(
            "yl_monitor_heartbeats_failed", "Heartbeats whose commit failed.", value=hb.failed
        )
        yield GaugeMetricFamily(
            "yl_monitor_heartbeat_queue_depth",
            "Heartbeats waiting for a commit.",
            value=hb.queue_depth,
        )
        system = self._monitor.sampler.snapshot()
        yield GaugeMetricFamily(
            "yl_monitor_system_cpu_percent", "Host CPU percent.", value=system.cpu_percent
        )
        yield GaugeMetricFamily(
            "yl_monitor_system_memory_percent",
            "Host memory percent.",
            value=system.memory.percent,
        )


def _figures() -> MetricsOut:
    mon = get_monitor()
    return MetricsOut(
        service=SERVICE_NAME,
        system=mon.sampler.snapshot(),
        monitor=mon.summary(),
        timestamp=utc_now_iso(),
    )


metrics_route(bp, MetricsOut, _figures)
