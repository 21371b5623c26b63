"""/metrics answers JSON by default and the Prometheus text format to a scrape."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

PROMETHEUS_ACCEPT = (
    "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;"
    "q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1"
)


def _prime(client, monitor, clock):
    client.post("/api/ar/nodes/gui-1/heartbeat", json={"node_type": "user-gui"})
    client.post("/api/ar/nodes/gui-2/heartbeat", json={"node_type": "user-gui"})
    client.post("/api/ar/nodes/gui-2/heartbeat", json={"node_type": "user-gui"})
    client.post("/api/ar/nodes/register", json={"node_id": "be-1", "node_type": "ar-backend"})
    clock.advance(1)
    monitor.evaluator.tick()


def test_json_by_default(client, monitor, clock) -> None:
    _prime(client, monitor, clock)
    resp = client.get("/metrics")
    assert resp.is_json
    data = resp.json
    assert data["service"] == "yl-monitor"
    assert set(data["system"]["memory"]) >= {"total", "available", "percent", "used"}
    assert set(data["system"]["disk"]) >= {"total", "used", "free", "percent"}
    assert data["monitor"]["nodes_by_state"]["online"] == 2
    assert data["monitor"]["nodes_by_state"]["new"] == 1
    assert data["monitor"]["heartbeats"]["stored"] == 3


def test_prometheus_when_scraped(client, monitor, clock) -> None:
    _prime(client, monitor, clock)
    resp = client.get("/metrics", headers={"Accept": PROMETHEUS_ACCEPT})
    assert resp.content_type.startswith("application/openmetrics-text")
    text = client.get("/metrics", headers={"Accept": "text/plain"}).get_data(as_text=True)
    samples = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for fam in text_string_to_metric_families(text)
        for s in fam.samples
    }
    assert samples[("yl_monitor_nodes", (("state", "online"),))] == 2
    assert samples[("yl_monitor_nodes", (("state", "new"),))] == 1
    assert samples[("yl_monitor_heartbeats_received_total", ())] == 3
    assert samples[("yl_monitor_open_alerts", ())] == 0


def test_status_reports_counts(client, monitor, clock) -> None:
    _prime(client, monitor, clock)
    data = client.get("/api/status").json
    assert data["status"] == "healthy"
    assert data["nodes_total"] == 3
    assert data["heartbeats"]["accepted"] == 3
