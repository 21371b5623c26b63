"""Port checks, the HTTP client's retries and errors, and the metrics sampler."""

from __future__ import annotations

import socket
import time

import pytest

from shared.http import HttpClient, HttpError
from shared.ports import PortInUse, ensure_port_free, free_port
from shared.sysmetrics import SystemMetricsSampler
from tests.procs import wait_for


def test_port_in_use_names_this_process() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        with pytest.raises(PortInUse) as err:
            ensure_port_free("127.0.0.1", port)
    assert f"port {port}" in str(err.value)
    assert "python" in str(err.value)


def test_free_port_is_bindable_and_then_held() -> None:
    port = free_port()
    assert 1024 <= port <= 65535
    ensure_port_free("127.0.0.1", port)  # free: no error
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", port))  # a server can take it
        sock.listen()
        with pytest.raises(PortInUse):  # and while it is held, the check says so
            ensure_port_free("127.0.0.1", port)
        with socket.socket() as second, pytest.raises(OSError):
            second.bind(("127.0.0.1", port))  # as the system does
    ensure_port_free("127.0.0.1", port)  # given back: free again


def test_client_reports_unreachable_after_retries() -> None:
    port = free_port()
    client = HttpClient(f"http://127.0.0.1:{port}", timeout=1, retries=2, backoff=0.05)
    started = time.monotonic()
    with pytest.raises(HttpError, match="cannot connect"):
        client.get_json("/health")
    assert time.monotonic() - started >= 0.05 + 0.1  # two backoffs were waited


@pytest.mark.slow
def test_client_talks_to_a_real_monitor(spawn, tmp_path) -> None:
    mon = spawn("yl_monitor", ["--db", f"sqlite:///{tmp_path / 'm.db'}", "--no-checks"])
    client = HttpClient(mon.url, timeout=5, retries=1)
    assert client.get_json("/api/health")["status"] == "healthy"
    with pytest.raises(HttpError) as err:
        client.get_json("/api/ar/nodes/nobody")
    assert err.value.status == 404
    assert client.post_json("/api/ar/nodes/n1/heartbeat", {})["recorded"] is True


def test_sampler_answers_without_blocking() -> None:
    sampler = SystemMetricsSampler(interval=0.05)
    sampler.start()
    try:
        snap = sampler.snapshot()
        assert 0 <= snap.cpu_percent <= 100
        assert snap.memory.total > 0
        first = snap.timestamp
        # the thread keeps sampling: a newer snapshot comes without asking
        wait_for(lambda: sampler.snapshot().timestamp != first, timeout=5, interval=0.02)
    finally:
        sampler.stop()
