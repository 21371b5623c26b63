"""Replays a security probe's findings against the real services and says what each did.

    .venv/bin/python -m benchmarks.hostile_probe [--pg URL] [--json OUT]

What it does:

1. starts ``python -m yl_monitor`` (SQLite in a temporary folder, ``server.workers: 1``, no
   active checks, a 1 s default interval with no grace, so a silent node goes offline and
   opens an alert within seconds) and ``python -m ar_backend --no-autostart`` (temporary
   media and recordings folders, ``monitor.enabled: false``, the ``overlay`` processor only),
   each on a free port on 127.0.0.1;
2. replays each probe below, a bounded number of requests, to 127.0.0.1 only, and reads what
   the service does afterwards (listings, detail, health, camera state, RSS);
3. prints one table (probe | what the client got | what it did to the service afterwards |
   verdict) and the totals; ``--json OUT`` also writes the rows;
4. stops everything it started: SIGTERM, then SIGKILL after 15 s (also on Ctrl-C, SIGTERM or an
   exception).

Verdicts: OK when the hostile request is refused (4xx, the JSON error envelope where it
says so) and the service is unchanged and answering afterwards; DEFECT otherwise; SKIPPED
when a probe could not run here (said why); ERROR when the probe itself failed. A probe that
makes a service exit marks its rows DEFECT and the service is started again. The probes:

 1. a heartbeat body with a UTF-8 BOM, as UTF-16, as UTF-32; then the node listing (strict
    JSON: no NaN, no Infinity, no 1e400) and the node's detail;
 2. ``{"resources": {"memory_mb": 1e400}}`` and ``{"uptime": 1e400}``: 400, listing strict;
 3. an open (offline) alert acknowledged ``{"until": 1e300}``: 400; alerts and detail answer;
 4. ``POST /camera/start`` with ``url:file:///etc/hostname``, ``url:/etc/hostname``,
    ``concat:/etc/hostname``: 400 each, and ``/snapshot.jpg`` serves nothing;
 5. (``--pg URL`` only: a throw-away PostgreSQL database; node ids ``pg-*``) a second monitor on
    it; 600 innocent beats from 30 nodes (a pool of 30 threads) with 20 beats holding U+0000
    in ``status`` among them: every innocent beat 200, no answer quoting SQL;
 6. a heartbeat ``timestamp`` of 1e300 and -1e300: 400; ``/history`` answers;
 7. 40 stalled MJPEG viewers (tiny receive window, never reading) on ``/video_feed`` of the
    ``demo`` source: 3 ``/health`` probes all 200 within 1 s, and health again once they go;
 8. with keys off, a foreign page's ``text/plain`` POST (``Origin: http://evil.example``) to
    the backend's ``/camera/stop`` and the monitor's ``/pause``: refused, nothing changed; a
    ``Host: evil.example`` GET: 400;
 9. heartbeats while storage refuses writes: the monitor's file-size limit (RLIMIT_FSIZE,
    ``prlimit``) is lowered to 1 byte for a moment, so every write of its SQLite file fails
    with EFBIG, no disk filled; beats must be refused (503) without SQL text, accepted again
    once the limit is restored, and ``/api/status`` healthy again within 10 s (Linux only;
    elsewhere see tests/monitor/test_faults.py);
10. a URL source whose server accepts and never answers: ``/camera/start`` answers within
    1 s, ``/camera/stop`` 0.5 s later within 1 s, and the camera ends ``stopped``.

Low: ``[`` * 30000 + ``]`` * 30000 as a body (both services); acknowledging alert id
99999999999999999999 (404); sources ``clip.mp4\\u0000.png`` and ``device:²`` (400); waitress's
431 for a 300 kB header (both services) and the GUI status server's 414 for a 70 kB URL answer
JSON; ``POST /audio/chain`` with 3,610 reverbs (a 65 kB body under the 64 KiB limit: 400, the
backend's RSS not grown by 20 MB); ``DELETE /audio/effect/bogus`` (4xx); a heartbeat sent twice
with one ``beat_id`` or ``Idempotency-Key`` is stored once.

Exit status: 0 whatever the verdicts (this is a report, not a test), 2 when a service could
not be started at all. The whole run takes about a minute.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import math
import os
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from types import FrameType
from typing import Any

import psutil

from shared.ports import free_port

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
JSON_TYPE = "application/json"
EVIL_ORIGIN = "http://evil.example"
SQL_WORDS = ("INSERT", "SELECT", "UPDATE", "DELETE FROM", "psycopg", "[SQL", "sqlite3.")
OK, DEFECT, SKIPPED, ERROR = "OK", "DEFECT", "SKIPPED", "ERROR"
FAST_S = 1.0  # an answer that should come at once, within this
CHAIN_RSS_MB = 20.0  # growth of the backend's RSS that counts as kept
VIEWERS = 40


# ---- HTTP ----------------------------------------------------------------------------------


class _NotStrict(ValueError):
    pass


def _refuse_constant(name: str) -> Any:
    raise _NotStrict(name)


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _NotStrict(text)
    return value


def strict_json(raw: bytes) -> tuple[bool, Any]:
    """(True, value) when ``raw`` is UTF-8 JSON a strict parser takes (no NaN, Infinity or
    1e400), else (False, None)."""
    try:
        text = raw.decode("utf-8")
        return True, json.loads(text, parse_constant=_refuse_constant, parse_float=_finite_float)
    except ValueError:  # UnicodeDecodeError, JSONDecodeError and _NotStrict are ValueErrors
        return False, None


@dataclass
class Reply:
    status: int  # 0: no answer
    ctype: str = ""
    body: bytes = b""
    seconds: float = 0.0
    error: str = ""

    @property
    def strict(self) -> bool:
        return strict_json(self.body)[0]

    @property
    def data(self) -> Any:
        return strict_json(self.body)[1]

    def field(self, key: str) -> Any:
        data = self.data
        return data.get(key) if isinstance(data, dict) else None

    @property
    def is_json(self) -> bool:
        return self.ctype.split(";")[0].strip() == JSON_TYPE

    @property
    def refused(self) -> bool:
        return 400 <= self.status < 500

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    def brief(self) -> str:
        if not self.status:
            return f"no answer ({self.error})"
        where = self.field("field")
        return f"{self.status}" + (f" [{where}]" if where else "")

    def leaks_sql(self) -> bool:
        text = self.body.decode("utf-8", "replace")
        return any(word in text for word in SQL_WORDS)


def _encode(body: Any, headers: dict[str, str]) -> bytes | None:
    if body is None:
        return None
    headers.setdefault("Content-Type", JSON_TYPE)
    if isinstance(body, bytes):
        return body
    return json.dumps(body, separators=(",", ":")).encode()


def call(
    port: int,
    method: str,
    path: str,
    body: Any = None,
    headers: dict[str, str] | None = None,
    timeout: float = 5.0,
) -> Reply:
    """One request on its own connection; ``body``: bytes as they are, else JSON."""
    hdrs = {"Connection": "close", **(headers or {})}
    data = _encode(body, hdrs)
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    started = time.perf_counter()
    try:
        # a server may answer (431, 413) before it read everything: read that answer
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            conn.request(method, path, body=data, headers=hdrs)
        resp = conn.getresponse()
        payload = resp.read()
        ctype = resp.getheader("Content-Type") or ""
        return Reply(resp.status, ctype, payload, time.perf_counter() - started)
    except (OSError, http.client.HTTPException) as exc:
        what = "timed out" if isinstance(exc, TimeoutError) else type(exc).__name__
        return Reply(0, seconds=time.perf_counter() - started, error=what)
    finally:
        conn.close()


# ---- processes -----------------------------------------------------------------------------


def _child_env() -> dict[str, str]:
    """This environment without the services' own overrides, so only our config counts."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("YL_MONITOR", "AR_BACKEND", "USER_GUI"))
    }
    env["PYTHONUNBUFFERED"] = "1"
    return env


class Service:
    """One ``python -m <module> --config F --host 127.0.0.1 --port P`` process, logged to a
    file; ``launch`` and ``ready`` apart so two services start side by side."""

    def __init__(
        self, module: str, config: Path, log: Path, health: str, extra: tuple[str, ...] = ()
    ) -> None:
        self.module = module
        self.config = config
        self.log = log
        self.health = health
        self.extra = extra
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def launch(self) -> Service:
        args = ["--config", str(self.config), "--host", HOST, "--port", str(self.port)]
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", self.module, *args, *self.extra],
                cwd=ROOT,
                env=_child_env(),
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        return self

    def ready(self, timeout: float = 40.0) -> Service:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.alive():
                raise RuntimeError(f"{self.module} exited at start; see {self.log}")
            if call(self.port, "GET", self.health, timeout=1.0).status == 200:
                return self
            time.sleep(0.1)
        raise RuntimeError(f"{self.module} did not answer within {timeout:g} s; see {self.log}")

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def exit_code(self) -> int | None:
        return None if self.proc is None else self.proc.poll()

    def restart(self) -> None:
        self.stop()
        self.port = free_port()
        self.launch().ready()

    def stop(self) -> None:
        if not self.alive():
            return
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)

    def rss_mb(self) -> float:
        return psutil.Process(self.pid).memory_info().rss / 2**20


def monitor_yaml(db_url: str) -> str:
    return (
        "server: {workers: 1}\n"
        "checks: {enabled: false}\n"
        f"storage: {{url: '{db_url}', commit_wait: 3}}\n"
        "nodes: {default_interval: 1, grace: 0, offline_after_missed: 2}\n"
        "alerts: {evaluate_interval: 0.25}\n"
    )


def backend_yaml(tmp: Path) -> str:
    return (
        f"media: {{folders: ['{tmp / 'media'}']}}\n"
        "monitor: {enabled: false}\n"
        f"outputs: {{recordings_dir: '{tmp / 'rec'}'}}\n"
        "camera: {width: 640, height: 480, reconnect_min: 0.2, reconnect_max: 0.5}\n"
        "pipeline: {processors: [overlay]}\n"
    )


def make_monitor(tmp: Path, name: str, db_url: str) -> Service:
    cfg = tmp / f"{name}.yaml"
    cfg.write_text(monitor_yaml(db_url))
    return Service("yl_monitor", cfg, tmp / f"{name}.log", "/api/health")


def make_backend(tmp: Path) -> Service:
    (tmp / "media").mkdir(exist_ok=True)
    cfg = tmp / "backend.yaml"
    cfg.write_text(backend_yaml(tmp))
    return Service("ar_backend", cfg, tmp / "backend.log", "/health", ("--no-autostart",))


# ---- the report ----------------------------------------------------------------------------


@dataclass
class Row:
    probe: str
    got: str
    after: str
    verdict: str


def judge(ok: bool) -> str:
    return OK if ok else DEFECT


@dataclass
class Lab:
    tmp: Path
    monitor: Service
    backend: Service
    pg_url: str | None

    def m(self, method: str, path: str, body: Any = None, **kw: Any) -> Reply:
        return call(self.monitor.port, method, path, body, **kw)

    def b(self, method: str, path: str, body: Any = None, **kw: Any) -> Reply:
        return call(self.backend.port, method, path, body, **kw)

    def beat(self, node: str, body: Any, **kw: Any) -> Reply:
        return self.m("POST", f"/api/ar/nodes/{node}/heartbeat", body, **kw)

    def node(self, node: str) -> Reply:
        return self.m("GET", f"/api/ar/nodes/{node}")

    def camera_state(self) -> str:
        return str(self.b("GET", "/camera/status").field("state"))


def shown(label: str, reply: Reply) -> str:
    """``list 200 strict JSON``: the answer, and for a 2xx whether its JSON is strict."""
    if not reply.ok:
        return f"{label} {reply.brief()}"
    return f"{label} {reply.brief()} {'strict' if reply.strict else 'NOT strict'} JSON"


def listing_after(lab: Lab) -> tuple[bool, str]:
    listing = lab.m("GET", "/api/ar/nodes")
    return listing.status == 200 and listing.strict, shown("list", listing)


# ---- monitor probes ------------------------------------------------------------------------

BEAT_TEXT = '{"status":"running"}'
ENCODED_BEATS = {
    "UTF-8 BOM": b"\xef\xbb\xbf" + BEAT_TEXT.encode(),
    "UTF-16": BEAT_TEXT.encode("utf-16"),
    "UTF-32": BEAT_TEXT.encode("utf-32"),
}


def probe_encodings(lab: Lab) -> list[Row]:
    rows = []
    for label, data in ENCODED_BEATS.items():
        beat = lab.beat("n5", data)
        listed, listing = listing_after(lab)
        detail = lab.node("n5")
        ok = beat.status in (200, 400, 415) and listed and detail.status == 200 and detail.strict
        after = f"{listing}; n5 {detail.brief()}"
        rows.append(Row(f"1 beat body {label}", f"beat {beat.brief()}", after, judge(ok)))
    return rows


INFINITE_BEATS = {
    "memory_mb 1e400": b'{"resources":{"memory_mb":1e400}}',
    "uptime 1e400": b'{"uptime":1e400}',
}


def probe_infinite(lab: Lab) -> list[Row]:
    rows = []
    for label, data in INFINITE_BEATS.items():
        beat = lab.beat("n6", data)
        listed, listing = listing_after(lab)
        ok = beat.refused and listed
        rows.append(Row(f"2 beat {label}", f"beat {beat.brief()}", listing, judge(ok)))
    return rows


def open_alert_id(lab: Lab, node: str, timeout: float = 15.0) -> int | None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        alerts = lab.m("GET", f"/api/alerts?status=open&node_id={node}").field("alerts")
        if alerts:
            return int(alerts[0]["id"])
        time.sleep(0.25)
    return None


def probe_ack_until(lab: Lab) -> list[Row]:
    name = "3 acknowledge until 1e300"
    alert_id = open_alert_id(lab, "probe-alert")
    if alert_id is None:
        return [Row(name, "no alert opened within 15 s", "not probed", ERROR)]
    ack = lab.m("POST", f"/api/alerts/{alert_id}/acknowledge", {"until": 1e300})
    alerts = lab.m("GET", "/api/alerts?status=all")
    detail = lab.node("probe-alert")
    ok = ack.refused and alerts.status == 200 and alerts.strict and detail.status == 200
    after = f"{shown('alerts', alerts)}; detail {detail.brief()}"
    return [Row(name, f"ack {ack.brief()}", after, judge(ok and detail.strict))]


def probe_timestamps(lab: Lab) -> list[Row]:
    rows = []
    for ts in (1e300, -1e300):
        beat = lab.beat("n7", {"timestamp": ts, "status": "running"})
        history = lab.m("GET", "/api/ar/nodes/n7/history")
        ok = beat.refused and history.status in (200, 404) and history.strict
        after = shown("history", history)
        rows.append(Row(f"6 beat timestamp {ts:g}", f"beat {beat.brief()}", after, judge(ok)))
    return rows


def probe_cross_site_monitor(lab: Lab) -> list[Row]:
    foreign = {"Content-Type": "text/plain", "Origin": EVIL_ORIGIN}
    before = lab.node("n5").field("paused")
    pause = lab.m("POST", "/api/ar/nodes/n5/pause", b"{}", headers=foreign)
    after = lab.node("n5").field("paused")
    ok = pause.refused and after is False
    rows = [
        Row(
            "8 text/plain POST evil Origin, monitor /pause",
            f"pause {pause.brief()}",
            f"n5 paused {before} -> {after}",
            judge(ok),
        )
    ]
    rebound = lab.m("GET", "/api/ar/nodes", headers={"Host": "evil.example"})
    rows.append(
        Row(
            "8 Host: evil.example, monitor GET /api/ar/nodes",
            f"GET {rebound.brief()}",
            "-",
            judge(rebound.status in (400, 403, 421)),
        )
    )
    return rows


def probe_storage_refusing(lab: Lab) -> list[Row]:
    name = "9 beats while storage refuses writes"
    if not sys.platform.startswith("linux"):  # prlimit on another process: Linux only
        return [Row(name, "see tests/monitor/test_faults.py", "not probed here", SKIPPED)]
    import resource

    lab.beat("probe-disk", {"status": "running"})
    pid = lab.monitor.pid
    old = resource.prlimit(pid, resource.RLIMIT_FSIZE)
    try:
        resource.prlimit(pid, resource.RLIMIT_FSIZE, (1, old[1]))
        beats = [lab.beat("probe-disk", {"status": "running"}, timeout=15) for _ in range(3)]
        during = lab.m("GET", "/api/status").field("status")
    finally:
        resource.prlimit(pid, resource.RLIMIT_FSIZE, old)
    back, waited = _retry_until_ok(lambda: lab.beat("probe-disk", {"status": "running"}), 10.0)
    healthy, cleared, faults = _status_healthy_within(lab, 10.0)
    codes = ", ".join(b.brief() for b in beats)
    slowest = max(b.seconds for b in beats)
    leaked = any(b.leaks_sql() for b in beats)
    refused = all(b.status == 503 for b in beats)
    got = f"3 beats: {codes} (slowest {slowest:.2f} s); SQL text: {'yes' if leaked else 'no'}"
    settled = f"healthy after {cleared:.1f} s" if healthy else f"still degraded: {faults}"
    after = (
        f"/api/status {during} during; limit restored: beat {back.brief()} after "
        f"{waited:.1f} s, /api/status {settled}"
    )
    ok = refused and not leaked and back.status == 200 and healthy
    return [Row(name, got, after, judge(ok))]


def _status_healthy_within(lab: Lab, timeout: float) -> tuple[bool, float, Any]:
    """(healthy, seconds it took, the faults /api/status last named)."""
    started = time.monotonic()
    while True:
        status = lab.m("GET", "/api/status")
        took = time.monotonic() - started
        if status.field("status") == "healthy":
            return True, took, []
        if took >= timeout:
            return False, took, status.field("faults") or status.brief()
        time.sleep(0.2)


def _retry_until_ok(send: Callable[[], Reply], timeout: float) -> tuple[Reply, float]:
    started = time.monotonic()
    reply = send()
    while reply.status != 200 and time.monotonic() - started < timeout:
        time.sleep(0.25)
        reply = send()
    return reply, time.monotonic() - started


DEEP = b"[" * 30000 + b"]" * 30000


def probe_deep_nesting(lab: Lab) -> list[Row]:
    rows = []
    targets = (
        ("monitor heartbeat", lab.m, "/api/ar/nodes/n8/heartbeat", lab.monitor.health),
        ("backend /camera/start", lab.b, "/camera/start", lab.backend.health),
    )
    for label, send, path, health_path in targets:
        reply = send("POST", path, DEEP)
        health = send("GET", health_path)
        ok = reply.refused and health.status == 200
        rows.append(
            Row(f"L [*30000 ]*30000, {label}", reply.brief(), f"health {health.brief()}", judge(ok))
        )
    return rows


def probe_huge_alert_id(lab: Lab) -> list[Row]:
    reply = lab.m("POST", "/api/alerts/99999999999999999999/acknowledge", {})
    health = lab.m("GET", "/api/alerts")
    return [
        Row(
            "L acknowledge alert 99999999999999999999",
            reply.brief(),
            f"alerts {health.brief()}",
            judge(reply.status == 404 and health.status == 200),
        )
    ]


def _beats_received(lab: Lab, node: str) -> int:
    value = lab.node(node).field("beats_received")
    return int(value) if isinstance(value, int) else 0


def probe_idempotency(lab: Lab) -> list[Row]:
    rows = []
    cases = (
        ("body beat_id", "probe-idem-body", {"beat_id": "beat-1", "status": "running"}, {}),
        ("Idempotency-Key", "probe-idem-key", {"status": "running"}, {"Idempotency-Key": "k-1"}),
    )
    for label, node, body, headers in cases:
        before = _beats_received(lab, node)
        replies = [lab.beat(node, body, headers=headers) for _ in range(2)]
        stored = _beats_received(lab, node) - before
        codes = ", ".join(r.brief() for r in replies)
        ok = stored == 1 and all(r.status == 200 for r in replies)
        rows.append(
            Row(f"L beat sent twice, same {label}", codes, f"beats stored {stored}", judge(ok))
        )
    return rows


BIG_HEADER = {"X-Probe": "a" * 300_000}


def probe_big_header(lab: Lab) -> list[Row]:
    rows = []
    for label, send, path in (("monitor", lab.m, "/api/health"), ("backend", lab.b, "/health")):
        reply = send("GET", path, headers=BIG_HEADER)
        health = send("GET", path)
        got = f"{reply.brief()}, Content-Type {reply.ctype or 'none'}"
        ok = reply.status == 431 and reply.is_json and health.status == 200
        rows.append(Row(f"L 300 kB header, {label}", got, f"health {health.brief()}", judge(ok)))
    return rows


# ---- backend probes ------------------------------------------------------------------------

FILE_SOURCES = ("url:file:///etc/hostname", "url:/etc/hostname", "concat:/etc/hostname")


def probe_file_sources(lab: Lab) -> list[Row]:
    rows = []
    for spec in FILE_SOURCES:
        lab.b("POST", "/camera/stop")
        start = lab.b("POST", "/camera/start", {"source": spec})
        time.sleep(0.3)
        snap = lab.b("GET", "/snapshot.jpg")
        state = lab.camera_state()
        served = f"snapshot {snap.status} ({len(snap.body)} B)"
        ok = start.refused and snap.status != 200
        rows.append(
            Row(
                f"4 source {spec}", f"start {start.brief()}", f"{served}; camera {state}", judge(ok)
            )
        )
    lab.b("POST", "/camera/stop")
    return rows


ODD_SOURCES = ("clip.mp4\u0000.png", "device:\u00b2")


def probe_odd_sources(lab: Lab) -> list[Row]:
    rows = []
    for spec in ODD_SOURCES:
        start = lab.b("POST", "/camera/start", {"source": spec})
        state = lab.camera_state()
        lab.b("POST", "/camera/stop")
        rows.append(
            Row(
                f"L source {spec!a}",
                f"start {start.brief()}",
                f"camera {state}",
                judge(start.status == 400),
            )
        )
    return rows


def reverb_chain(count: int = 3610) -> bytes:
    return b'{"effects":[' + b",".join([b'{"type":"reverb"}'] * count) + b"]}"


def probe_audio(lab: Lab) -> list[Row]:
    body = reverb_chain()
    before = lab.backend.rss_mb()
    chain = lab.b("POST", "/audio/chain", body, timeout=30)
    time.sleep(0.5)
    grown = lab.backend.rss_mb() - before
    status = lab.b("GET", "/audio/status")
    lab.b("POST", "/audio/chain", {"effects": []})
    ok = chain.refused and grown < CHAIN_RSS_MB and status.status == 200
    rss = f"RSS {before:.0f} -> {before + grown:.0f} MB; /audio/status {status.brief()}"
    rows = [Row(f"L /audio/chain 3,610 reverbs ({len(body)} B)", chain.brief(), rss, judge(ok))]
    bogus = lab.b("DELETE", "/audio/effect/bogus")
    rows.append(Row("L DELETE /audio/effect/bogus", bogus.brief(), "-", judge(bogus.refused)))
    return rows


class SilentServer:
    """Accepts TCP connections on 127.0.0.1 and never answers; closes them all on exit."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind((HOST, 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.port = int(self.sock.getsockname()[1])
        self.conns: list[socket.socket] = []
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._accept, name="silent", daemon=True)

    def _accept(self) -> None:
        while not self.done.is_set():
            with contextlib.suppress(TimeoutError):
                conn, _ = self.sock.accept()
                self.conns.append(conn)

    def __enter__(self) -> SilentServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.done.set()
        self.thread.join(2)
        for conn in [*self.conns, self.sock]:
            conn.close()


def probe_silent_url(lab: Lab) -> list[Row]:
    with SilentServer() as silent:
        url = f"http://127.0.0.1:{silent.port}/stream.mjpg"
        start = lab.b("POST", "/camera/start", {"source": url}, timeout=15)
        time.sleep(0.5)
        stop = lab.b("POST", "/camera/stop", timeout=15)
        time.sleep(0.2)
        state = lab.camera_state()
        lab.b("POST", "/camera/stop", timeout=20)
    got = (
        f"start {start.brief()} in {start.seconds:.2f} s; "
        f"stop {stop.brief()} in {stop.seconds:.2f} s"
    )
    fast = start.seconds < FAST_S and stop.seconds < FAST_S
    ok = start.ok and stop.ok and fast and state == "stopped"
    return [Row("10 URL source that never answers", got, f"camera {state}", judge(ok))]


def start_demo(lab: Lab) -> Reply:
    reply = lab.b("POST", "/camera/start", {"source": "demo"})
    deadline = time.monotonic() + 10
    while lab.camera_state() != "running" and time.monotonic() < deadline:
        time.sleep(0.1)
    return reply


def probe_cross_site_backend(lab: Lab) -> list[Row]:
    demo = start_demo(lab)
    before = lab.camera_state()
    foreign = {"Content-Type": "text/plain", "Origin": EVIL_ORIGIN}
    stop = lab.b("POST", "/camera/stop", b"{}", headers=foreign)
    time.sleep(0.2)
    after = lab.camera_state()
    if after != "running":
        start_demo(lab)
    name = "8 text/plain POST evil Origin, backend /camera/stop"
    changed = f"camera {before} -> {after} (demo start {demo.brief()})"
    rows = [
        Row(
            name,
            f"stop {stop.brief()}",
            changed,
            judge(stop.refused and after == before == "running"),
        )
    ]
    rebound = lab.b("GET", "/status", headers={"Host": "evil.example"})
    rows.append(
        Row(
            "8 Host: evil.example, backend GET /status",
            f"GET {rebound.brief()}",
            "-",
            judge(rebound.status in (400, 403, 421)),
        )
    )
    return rows


def _stalled_viewer(port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # a tiny window, never read
    sock.settimeout(3)
    sock.connect((HOST, port))
    sock.sendall(b"GET /video_feed HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n\r\n" % port)
    return sock


def _first_status(sock: socket.socket) -> str:
    sock.settimeout(0.05)
    try:
        head = sock.recv(12)
    except OSError:
        return "none"
    return head[9:12].decode("ascii", "replace") if head.startswith(b"HTTP/1.") else "none"


def _drop(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # RST
    sock.close()


def probe_stalled_viewers(lab: Lab) -> list[Row]:
    if lab.camera_state() != "running":
        start_demo(lab)
    viewers: list[socket.socket] = []
    try:
        for _ in range(VIEWERS):
            viewers.append(_stalled_viewer(lab.backend.port))
        time.sleep(2.0)  # their windows fill; a thread per viewer blocks on sending
        probes = [lab.b("GET", "/health", timeout=5) for _ in range(3)]
        heads = Counter(_first_status(s) for s in viewers)
    finally:
        for sock in viewers:
            _drop(sock)
    back, waited = _retry_until_ok(lambda: lab.b("GET", "/health", timeout=5), 10.0)
    answered = sum(p.status == 200 for p in probes)
    slowest = max(p.seconds for p in probes)
    got = (
        f"{len(viewers)} viewers open; /health {answered}/3 200, max {slowest * 1000:.0f} ms; "
        f"viewers' answers: {dict(sorted(heads.items()))}"
    )
    after = f"viewers closed: /health {back.brief()} after {waited:.1f} s"
    ok = answered == 3 and slowest < FAST_S and back.status == 200
    return [Row(f"7 {VIEWERS} stalled /video_feed viewers", got, after, judge(ok))]


# ---- GUI and PostgreSQL --------------------------------------------------------------------


def probe_gui_long_url(lab: Lab) -> list[Row]:
    from user_gui.config import MonitorSection
    from user_gui.services.local_server import LocalHTTPServer
    from user_gui.services.reporter import StatusReporter

    reporter = StatusReporter(MonitorSection(url=f"http://{HOST}:{lab.monitor.port}"))
    server = LocalHTTPServer(reporter, host=HOST, port=0)
    server.start()
    try:
        reply = call(server.port, "GET", "/" + "a" * 70_000)
        health = call(server.port, "GET", "/health")
    finally:
        server.stop()
    got = f"{reply.brief()}, Content-Type {reply.ctype or 'none'}"
    ok = reply.status == 414 and reply.is_json and health.status == 200
    return [Row("L GUI status server, 70 kB URL", got, f"health {health.brief()}", judge(ok))]


PG_NODES = 30
PG_BEATS_EACH = 20
PG_NUL_BEATS = 20


def _pg_jobs() -> list[tuple[str, dict[str, Any], bool]]:
    """(node, body, innocent): 600 innocent beats with 20 NUL beats spread among them."""
    jobs: list[tuple[str, dict[str, Any], bool]] = []
    every = PG_NODES * PG_BEATS_EACH // PG_NUL_BEATS
    for k in range(PG_NODES * PG_BEATS_EACH):
        if k % every == 0:
            nul = len([j for j in jobs if not j[2]])
            jobs.append((f"pg-nul-{nul:02d}", {"status": "run\u0000ning"}, False))
        body = {"status": "running", "uptime": float(k)}
        jobs.append((f"pg-innocent-{k % PG_NODES:02d}", body, True))
    return jobs


def probe_postgres(lab: Lab) -> list[Row]:
    name = "5 PostgreSQL: 600 beats + 20 with U+0000"
    if not lab.pg_url:
        return [Row(name, "skipped (no --pg)", "-", SKIPPED)]
    pg = make_monitor(lab.tmp, "monitor-pg", lab.pg_url)
    try:
        pg.launch().ready()
        jobs = _pg_jobs()

        def send(job: tuple[str, dict[str, Any], bool]) -> Reply:
            node, body, _ = job
            return call(pg.port, "POST", f"/api/ar/nodes/{node}/heartbeat", body, timeout=15)

        with ThreadPoolExecutor(PG_NODES) as pool:
            replies = list(pool.map(send, jobs))
        listing = call(pg.port, "GET", "/api/ar/nodes")
    finally:
        pg.stop()
    innocent = [r for r, j in zip(replies, jobs, strict=True) if j[2]]
    nul = [r for r, j in zip(replies, jobs, strict=True) if not j[2]]
    bad = sum(r.status != 200 for r in innocent)
    leaked = any(r.leaks_sql() for r in replies)
    nul_codes = dict(Counter(r.status for r in nul))
    got = (
        f"innocent non-200: {bad}/{len(innocent)}; NUL beats {nul_codes}; "
        f"SQL text: {'yes' if leaked else 'no'}"
    )
    ok = bad == 0 and not leaked and all(r.refused for r in nul)
    return [Row(name, got, shown("list", listing), judge(ok))]


# ---- running it ----------------------------------------------------------------------------

Probe = Callable[[Lab], list[Row]]
# run order: the monitor's quick probes, its alert (which needs a few seconds of silence) and
# its storage fault, then the backend's, the stalled viewers last; the table is sorted by probe
PROBES: list[Probe] = [
    probe_encodings,
    probe_infinite,
    probe_timestamps,
    probe_cross_site_monitor,
    probe_deep_nesting,
    probe_huge_alert_id,
    probe_idempotency,
    probe_big_header,
    probe_ack_until,
    probe_storage_refusing,
    probe_file_sources,
    probe_odd_sources,
    probe_audio,
    probe_silent_url,
    probe_cross_site_backend,
    probe_stalled_viewers,
    probe_gui_long_url,
    probe_postgres,
]


def _after_probe(lab: Lab, rows: list[Row]) -> None:
    """A service that exited during a probe: its rows are defects; start it again."""
    for svc in (lab.monitor, lab.backend):
        if svc.alive():
            continue
        code = svc.exit_code()
        for row in rows:
            row.after += f"; {svc.module} EXITED ({code}), restarted"
            row.verdict = DEFECT
        svc.restart()


def run_probe(lab: Lab, probe: Probe) -> list[Row]:
    try:
        rows = probe(lab)
    except Exception as exc:  # the probe's own failure is reported, the others still run
        rows = [Row(probe.__name__, f"probe failed: {exc!r}", "-", ERROR)]
    _after_probe(lab, rows)
    return rows


def seed(lab: Lab) -> None:
    """n5 exists (probes 1 and 8); probe-alert beats once and then stays silent (probe 3)."""
    lab.m("POST", "/api/ar/nodes/register", {"node_id": "n5", "node_type": "probe"})
    lab.beat("probe-alert", {"status": "running", "node_type": "probe"})


def _sort_key(row: Row) -> int:
    """By probe number, the low ones last; a probe's rows keep their order (a stable sort)."""
    head = row.probe.split(" ", 1)[0]
    return int(head) if head.isdigit() else 99


WIDTHS = (40, 44, 44, 7)


def print_table(rows: list[Row]) -> None:
    head = ("probe", "what the client got", "what it did to the service afterwards", "verdict")
    line = "+".join("-" * (w + 2) for w in WIDTHS)
    print(line)
    _print_cells(head)
    print(line)
    for row in rows:
        _print_cells((row.probe, row.got, row.after, row.verdict))
        print(line)


def _print_cells(cells: tuple[str, ...]) -> None:
    wrapped = [textwrap.wrap(c, w) or [""] for c, w in zip(cells, WIDTHS, strict=True)]
    for i in range(max(len(w) for w in wrapped)):
        parts = [
            (w[i] if i < len(w) else "").ljust(n) for w, n in zip(wrapped, WIDTHS, strict=True)
        ]
        print(" " + " | ".join(parts))


def totals(rows: list[Row]) -> dict[str, int]:
    counts = Counter(r.verdict for r in rows)
    return {v: counts.get(v, 0) for v in (OK, DEFECT, SKIPPED, ERROR)}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.hostile_probe",
        description="Replay a security probe's findings against real services on 127.0.0.1.",
    )
    parser.add_argument("--pg", metavar="URL", help="a throw-away PostgreSQL database (probe 5)")
    parser.add_argument("--json", metavar="OUT", type=Path, help="also write the rows as JSON")
    return parser.parse_args(argv)


def _interrupt(signum: int, _frame: FrameType | None) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


@contextlib.contextmanager
def services(tmp: Path) -> Iterator[tuple[Service, Service]]:
    monitor = make_monitor(tmp, "monitor", f"sqlite:///{tmp / 'monitor.db'}")
    backend = make_backend(tmp)
    try:
        monitor.launch()
        backend.launch()
        yield monitor.ready(), backend.ready()
    finally:
        for svc in (backend, monitor):
            svc.stop()


def run(args: argparse.Namespace) -> int:
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="hostile-probe-") as name:
        tmp = Path(name)
        try:
            with services(tmp) as (monitor, backend):
                lab = Lab(tmp, monitor, backend, args.pg)
                print(
                    f"monitor :{monitor.port} (pid {monitor.pid}), backend :{backend.port} "
                    f"(pid {backend.pid}); logs in {tmp} (removed at the end)"
                )
                seed(lab)
                rows = [row for probe in PROBES for row in run_probe(lab, probe)]
        except RuntimeError as exc:
            print(f"error: {exc}", file=sys.stderr)
            for log in sorted(tmp.glob("*.log")):
                print(f"--- {log.name}\n{log.read_text(errors='replace')[-3000:]}", file=sys.stderr)
            return 2
    rows.sort(key=_sort_key)
    print_table(rows)
    counts = totals(rows)
    elapsed = time.monotonic() - started
    print(
        f"totals: {counts[OK]} OK, {counts[DEFECT]} DEFECT, {counts[SKIPPED]} skipped, "
        f"{counts[ERROR]} probe errors, of {len(rows)} rows ({elapsed:.0f} s)"
    )
    if args.json:
        out = {"rows": [asdict(r) for r in rows], "totals": counts, "seconds": round(elapsed, 1)}
        args.json.write_text(json.dumps(out, indent=2) + "\n")
        print(f"rows written to {args.json}")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    for sig in (signal.SIGINT, signal.SIGTERM):  # both stop the services before exiting
        signal.signal(sig, _interrupt)
    print("== hostile-input probe: yl_monitor, ar_backend, the GUI status server ==")
    try:
        return run(args)
    except KeyboardInterrupt:
        print("interrupted; every service this started is stopped", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
