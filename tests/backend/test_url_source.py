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


class SilentServer:
    """127.0.0.1:PORT that accepts connections and never says a word; it notes each
    connection the client gives up on (closes), which is how a test sees an abandoned
    connect end without sleeping through the timeout."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.05)
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}/stream"
        self.accepted = 0
        self.closed = 0
        self._done = threading.Event()
        self._conns: list[socket.socket] = []
        self._lock = threading.Lock()
        self._threads = [threading.Thread(target=self._accept, name="silent-server", daemon=True)]
        self._threads[0].start()

    def _accept(self) -> None:
        while not self._done.is_set():
            try:
                conn, _ = self.listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with self._lock:
                self.accepted += 1
                self._conns.append(conn)
            reader = threading.Thread(target=self._drain, args=(conn,), daemon=True)
            self._threads.append(reader)
            reader.start()

    def _drain(self, conn: socket.socket) -> None:
        """Read (and ignore) the request until the client closes the connection."""
        conn.settimeout(0.2)
        while not self._done.is_set():
            try:
                if not conn.recv(65536):
                    break
            except TimeoutError:
                continue
            except OSError:
                break
        else:
            return
        with self._lock:
            self.closed += 1

    def all_given_up(self, at_least: int = 1) -> bool:
        """At least ``at_least`` connects came, and the client has closed every one."""
        with self._lock:
            return self.accepted >= at_least and self.closed == self.accepted

    def close(self) -> None:
        self._done.set()
        for thread in self._threads:
            thread.join(5)
        self.listener.close()
        for conn in self._conns:
            conn.close()


@pytest.fixture
def silent_server() -> Iterator[SilentServer]:
    server = SilentServer()
    try:
        yield server
    finally:
        server.close()


def timed(method: str, url: str, **kw) -> tuple[requests.Response, float]:  # type: ignore[no-untyped-def]
    t0 = time.monotonic()
    resp = requests.request(method, url, timeout=40, **kw)
    return resp, time.monotonic() - t0


def test_a_hung_url_answers_connecting_and_stop_wins(backend, backend_config, silent_server):
    server, silent_server = silent_server, silent_server.url
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
    # the abandoned connect times out meanwhile (it closes its connection)
    wait_for(server.all_given_up, timeout=OPEN_TIMEOUT * 3 + 5)
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
    # every connect it made (3 or more) has ended: a late open had its chance to take over
    wait_for(lambda: server.all_given_up(at_least=3), timeout=OPEN_TIMEOUT * 3 + 5)
    assert status()["state"] == "running" and status()["source_kind"] == "demo"
