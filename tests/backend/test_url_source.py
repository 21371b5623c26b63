"""A URL source that never answers does not hold the control path (a real process: the point
is how long control calls take while a connect hangs)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest
import requests

from tests.procs import wait_for

pytestmark = pytest.mark.slow

OPEN_TIMEOUT = 2.0


@pytest.fixture
def silent_server() -> Iterator[str]:
    """127.0.0.1:PORT that accepts connections and never says a word (closed at the end)."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.2)
    done = threading.Event()
    accepted: list[socket.socket] = []

    def accept() -> None:
        while not done.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            accepted.append(conn)

    thread = threading.Thread(target=accept, name="silent-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/stream"
    finally:
        done.set()
        thread.join(5)
        listener.close()
        for conn in accepted:
            conn.close()


def timed(method: str, url: str, **kw) -> tuple[requests.Response, float]:  # type: ignore[no-untyped-def]
    t0 = time.monotonic()
    resp = requests.request(method, url, timeout=40, **kw)
    return resp, time.monotonic() - t0


def test_a_hung_url_answers_connecting_and_stop_wins(backend, backend_config, silent_server):
    cfg = backend_config(camera={"open_timeout": OPEN_TIMEOUT})
    be = backend("--no-autostart", config=cfg)

    def status() -> dict:
        return requests.get(be.url + "/camera/status", timeout=5).json()

    # start answers at once; the connect goes on beside the control path
    resp, took = timed("POST", be.url + "/camera/start", json={"source": silent_server})
    assert resp.status_code == 200, resp.text
    assert took < 1.0, f"/camera/start took {took:.2f} s"
    assert resp.json()["state"] == "connecting"
    now = status()
    assert now["state"] == "connecting" and now["source"] == f"url {silent_server}"
    assert now["connecting_s"] is not None and now["connect_attempts"] == 1
    _health, took = timed("GET", be.url + "/health")
    assert took < 0.5

    # stop during the connect answers at once and wins: the late open changes nothing
    resp, took = timed("POST", be.url + "/camera/stop")
    assert resp.status_code == 200 and resp.json()["state"] == "stopped"
    assert took < 0.5, f"/camera/stop took {took:.2f} s while the URL hung"
    time.sleep(OPEN_TIMEOUT + 0.5)  # the abandoned connect times out meanwhile
    assert status()["state"] == "stopped"

    # left alone, the connect times out: the error shows, is logged once, and is retried
    assert timed("POST", be.url + "/camera/start", json={"source": silent_server})[1] < 1.0
    failed = wait_for(
        lambda: (s := status())["state"] == "reconnecting" and s["connect_attempts"] >= 3 and s,
        timeout=OPEN_TIMEOUT * 4 + 5,
    )
    assert f"does not open within {OPEN_TIMEOUT:g} s" in failed["error"], failed
    assert be.log.count(f"connecting to url {silent_server}") == 1, be.log

    # switching to another source while it hangs is prompt too
    resp, took = timed("POST", be.url + "/camera/start", json={"source": "demo"})
    assert resp.status_code == 200 and resp.json()["state"] == "running", resp.text
    assert took < 1.5, f"switching away from a hung URL took {took:.2f} s"
    time.sleep(OPEN_TIMEOUT + 0.5)
    assert status()["state"] == "running" and status()["source_kind"] == "demo"
