"""Heartbeat ingest benchmark for yl_monitor: 1,000 simulated nodes beating against a real server.

Run it from the repository root as a module, so that ``tests`` and ``shared`` import::

    .venv/bin/python -m benchmarks.monitor_ingest [--nodes 1000] [--seconds 10] [--connections 48]

(``.venv/bin/python benchmarks/monitor_ingest.py`` also works: run as a file, the script
re-executes itself as ``python -m benchmarks.monitor_ingest`` from the repository root.)

What it does:

1. starts ``python -m yl_monitor --host 127.0.0.1 --port P --db sqlite:///TMP/bench.db
   --no-checks`` on a free port with a fresh SQLite database in a temporary folder (the
   server reads ``config/monitor.yaml`` as it would in production: 16 threads, WAL,
   ``synchronous=FULL``);
2. in one separate client process (asyncio, raw HTTP/1.1 keep-alive connections, one request
   in flight per connection) drives ``--nodes`` nodes (``bench-0000``...) beating
   ``POST /api/ar/nodes/<id>/heartbeat`` for ``--seconds``; connection *c* of *C* cycles
   through node ids c, c+C, c+2C, ...;
3. reads the server's ``/api/status`` heartbeat counters at the end of that phase;
4. with the same client, connection count and duration, measures ``GET /api/health`` on the
   same server (second by default, ``--order health-first`` to swap), the server's
   request-handling ceiling without a database write;
5. stops the server with SIGTERM (it commits every queued beat), counts the ``bench-%`` beats
   in the SQLite file and compares that with the heartbeats answered 2xx.

Targets: >= 2,000 heartbeats/s, heartbeat p99 < 50 ms, heartbeats/s / health req/s >= 0.7,
stored == accepted. Latencies are measured by the client (``time.perf_counter`` from writing
the request to reading the whole answer), so they include the client's own scheduling delay;
the client and the server share the machine's cores.

Exit status: 0 whatever the figures (this is a measurement, not a test), 1 when the database
holds a different number of beats than were answered 2xx (a correctness bug), 2 when the
benchmark itself could not run. A beat whose answer was lost (connection error, timeout) may
still have been committed; such runs report a mismatch with that caveat printed.

Note: the server prunes history past ``storage.history_max_per_node`` (2,880) beats per node;
a run long enough to store more than that per node would show fewer stored beats than
accepted, which would not be a bug.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import shutil
import sqlite3
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent

TARGET_RATE = 2000.0
TARGET_P99_MS = 50.0
TARGET_RATIO = 0.7

HEARTBEAT = "heartbeat"
HEALTH = "health"


# ---- client (runs in its own process) -------------------------------------------------------


class _PhaseStats:
    __slots__ = ("conn_errors", "in_flight", "latencies", "statuses", "timeouts")

    def __init__(self) -> None:
        self.latencies: list[float] = []
        self.statuses: Counter[int] = Counter()
        self.conn_errors = 0
        self.timeouts = 0
        self.in_flight = 0


def _iso_now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _heartbeat_request(host: bytes, node_id: str, uptime: float) -> bytes:
    body = (
        f'{{"node_id":"{node_id}","node_name":"Bench GUI {node_id[6:]}",'
        f'"node_type":"user-gui","timestamp":"{_iso_now()}","status":"running",'
        f'"version":"0.1.0","uptime":{uptime:.1f},'
        '"resources":{"cpu_percent":12.5,"memory_mb":180.0,"threads":9},'
        '"gui":{"window_active":true,"video_running":true,"audio_running":false,'
        '"face_loaded":true}}'
    ).encode()
    return (
        b"POST /api/ar/nodes/%s/heartbeat HTTP/1.1\r\nHost: %s\r\n"
        b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n%s"
        % (node_id.encode(), host, len(body), body)
    )


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bool]:
    """(status, keep_alive) of one HTTP/1.1 response; its body is read and dropped."""
    head = await reader.readuntil(b"\r\n\r\n")
    if not head.startswith(b"HTTP/1."):
        raise ValueError(f"not an HTTP response: {head[:40]!r}")
    status = int(head[9:12])
    lower = head.lower()
    keep = b"\r\nconnection: close" not in lower and not head.startswith(b"HTTP/1.0")
    at = lower.find(b"\r\ncontent-length:")
    if at >= 0:
        end = lower.index(b"\r\n", at + 2)
        length = int(head[at + 17 : end])
        if length:
            await reader.readexactly(length)
    elif b"\r\ntransfer-encoding: chunked" in lower:
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    else:
        await reader.read()
        keep = False
    return status, keep


async def _connection(
    kind: str,
    port: int,
    node_ids: list[str],
    deadline: float,
    started: float,
    stats: _PhaseStats,
) -> None:
    host = f"127.0.0.1:{port}".encode()
    health = b"GET /api/health HTTP/1.1\r\nHost: %s\r\n\r\n" % host
    writer: asyncio.StreamWriter | None = None
    reader: asyncio.StreamReader | None = None
    n = 0
    clock = time.perf_counter
    try:
        while clock() < deadline:
            if writer is None:
                try:
                    reader, writer = await asyncio.open_connection("127.0.0.1", port)
                except OSError:
                    stats.conn_errors += 1
                    await asyncio.sleep(0.05)
                    continue
            if kind == HEARTBEAT:
                request = _heartbeat_request(host, node_ids[n % len(node_ids)], clock() - started)
                n += 1
            else:
                request = health
            assert reader is not None
            t0 = clock()
            stats.in_flight += 1
            try:
                writer.write(request)
                status, keep = await _read_response(reader)
            except (OSError, EOFError, ValueError, asyncio.IncompleteReadError):
                stats.in_flight -= 1
                stats.conn_errors += 1
                writer.close()
                writer = None
                continue
            stats.in_flight -= 1
            stats.latencies.append(clock() - t0)
            stats.statuses[status] += 1
            if not keep:
                writer.close()
                writer = None
    finally:
        if writer is not None:
            writer.close()


async def _phase(kind: str, port: int, nodes: int, connections: int, seconds: float) -> dict:
    ids = [f"bench-{i:04d}" for i in range(nodes)]
    stats = _PhaseStats()
    started = time.perf_counter()
    deadline = started + seconds
    tasks = [
        asyncio.create_task(
            _connection(kind, port, ids[c::connections] or ids, deadline, started, stats)
        )
        for c in range(connections)
    ]
    # Requests sent before the deadline get up to the server's commit wait (10 s) and more.
    _, pending = await asyncio.wait(tasks, timeout=seconds + 30)
    for task in pending:
        task.cancel()
    if pending:
        await asyncio.wait(pending)
        stats.timeouts = stats.in_flight
    elapsed = time.perf_counter() - started
    for task in tasks:
        if not task.cancelled() and task.exception() is not None:
            raise task.exception()  # type: ignore[misc]
    lat = sorted(stats.latencies)

    def pct(p: float) -> float:
        if not lat:
            return float("nan")
        return lat[min(len(lat) - 1, int(p / 100 * len(lat)))] * 1000

    ok = sum(v for k, v in stats.statuses.items() if 200 <= k < 300)
    return {
        "kind": kind,
        "elapsed": elapsed,
        "requests": len(lat),
        "ok": ok,
        "statuses": dict(stats.statuses),
        "conn_errors": stats.conn_errors,
        "timeouts": stats.timeouts,
        "rate": ok / elapsed,
        "p50": pct(50),
        "p90": pct(90),
        "p99": pct(99),
        "max": lat[-1] * 1000 if lat else float("nan"),
        "mean": sum(lat) / len(lat) * 1000 if lat else float("nan"),
    }


def run_phase(kind: str, port: int, nodes: int, connections: int, seconds: float) -> dict:
    """One measurement phase; runs in the client process."""
    cpu0 = time.process_time()
    result = asyncio.run(_phase(kind, port, nodes, connections, seconds))
    result["client_cpu_s"] = time.process_time() - cpu0
    return result


def _client_ready() -> int:
    return os.getpid()


# ---- orchestration (main process) ------------------------------------------------------------


def _server_cpu_s(pid: int) -> float:
    """CPU seconds of the server: the supervisor, its workers and its ingest process."""
    import psutil

    try:
        proc = psutil.Process(pid)
        total = 0.0
        for p in [proc, *proc.children(recursive=True)]:
            t = p.cpu_times()
            total += t.user + t.system
    except psutil.Error:
        return float("nan")
    return total


# ---- wrk client ------------------------------------------------------------------------------

WRK_SCRIPT = r"""
local nodes = %(nodes)d
local i = %(offset)d
local head = '{"node_name":"Bench GUI","node_type":"user-gui","status":"running",' ..
  '"version":"0.1.0","uptime":1.0,"resources":{"cpu_percent":12.5,"memory_mb":180.0,' ..
  '"threads":9},"gui":{"window_active":true,"video_running":true,' ..
  '"audio_running":false,"face_loaded":true},"timestamp":"'
local hdrs = {["Content-Type"] = "application/json"}
request = function()
  i = (i + 1) %% nodes
  local id = string.format("bench-%%04d", i)
  local body = head .. os.date("!%%Y-%%m-%%dT%%H:%%M:%%SZ") .. '","node_id":"' .. id .. '"}'
  return wrk.format("POST", "/api/ar/nodes/" .. id .. "/heartbeat", hdrs, body)
end
"""


def _ms(text: str) -> float:
    units = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}
    for unit in ("us", "ms", "s", "m"):
        if text.endswith(unit) and text[: -len(unit)].replace(".", "", 1).isdigit():
            return float(text[: -len(unit)]) * units[unit]
    return float("nan")


def run_wrk(kind: str, port: int, nodes: int, connections: int, seconds: float, tmp: Path) -> dict:
    """One phase driven by wrk (C, one thread): it leaves the server more of the CPU."""
    import re
    import subprocess

    url = f"http://127.0.0.1:{port}"
    cmd = ["wrk", "-t1", f"-c{connections}", f"-d{seconds:g}s", "--latency", "--timeout", "30s"]
    if kind == HEARTBEAT:
        script = tmp / "heartbeat.lua"
        script.write_text(WRK_SCRIPT % {"nodes": nodes, "offset": 0})
        cmd += ["-s", str(script), url + "/"]
    else:
        cmd += [url + "/api/health"]
    started = time.perf_counter()
    out = subprocess.run(cmd, capture_output=True, text=True, check=True, timeout=seconds + 60)
    elapsed = time.perf_counter() - started
    text = out.stdout
    total = int(re.search(r"(\d+) requests in", text).group(1))  # type: ignore[union-attr]
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    bad = int(non2xx.group(1)) if non2xx else 0
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    conn_errors = sum(int(x) for x in sock.groups()[:3]) if sock else 0
    timeouts = int(sock.group(4)) if sock else 0
    pct = {p: _ms(v) for p, v in re.findall(r"^\s+(\d+)%\s+(\S+)", text, re.M)}
    lat = re.search(r"Latency\s+(\S+)\s+\S+\s+(\S+)", text)
    duration = float(re.search(r"requests in ([\d.]+)s", text).group(1))  # type: ignore[union-attr]
    ok = total - bad
    return {
        "kind": kind,
        "elapsed": duration,
        "requests": total,
        "ok": ok,
        "statuses": {"non-2xx": bad} if bad else {},
        "conn_errors": conn_errors,
        "timeouts": timeouts,
        "rate": ok / duration,
        "p50": pct.get("50", float("nan")),
        "p90": pct.get("90", float("nan")),
        "p99": pct.get("99", float("nan")),
        "max": _ms(lat.group(2)) if lat else float("nan"),
        "mean": _ms(lat.group(1)) if lat else float("nan"),
        "client_cpu_s": float("nan"),
        "wall": elapsed,
    }


def _count_stored(db: Path) -> int:
    conn = sqlite3.connect(db)
    try:
        row = conn.execute("SELECT count(*) FROM beats WHERE node_id LIKE 'bench-%'").fetchone()
        return int(row[0])
    finally:
        conn.close()


def _print_phase(label: str, unit: str, res: dict, server_cpu: float) -> None:
    errors = res["requests"] - res["ok"] + res["conn_errors"] + res["timeouts"]
    non2xx = {
        k: v for k, v in res["statuses"].items() if not (isinstance(k, int) and 200 <= k < 300)
    }
    print(f"{unit}: {res['rate']:.1f}")
    print(f"{label} p50 ms: {res['p50']:.2f}")
    print(f"{label} p90 ms: {res['p90']:.2f}")
    print(f"{label} p99 ms: {res['p99']:.2f}")
    print(f"{label} max ms: {res['max']:.2f}")
    print(f"{label} mean ms: {res['mean']:.2f}")
    print(f"{label} requests answered: {res['requests']}")
    print(f"{label} answered 2xx: {res['ok']}")
    print(f"{label} errors: {errors}")
    print(f"{label} non-2xx by status: {non2xx or 'none'}")
    print(f"{label} connection errors: {res['conn_errors']}")
    print(f"{label} timeouts: {res['timeouts']}")
    print(f"{label} phase wall s: {res['elapsed']:.2f}")
    print(f"{label} server cpu (% of one core): {server_cpu / res['elapsed'] * 100:.0f}")
    if res["client_cpu_s"] == res["client_cpu_s"]:  # not NaN (wrk's is not measured)
        client = res["client_cpu_s"] / res["elapsed"] * 100
        print(f"{label} client cpu (% of one core): {client:.0f}")
    if res["ok"]:
        print(f"{label} server cpu per 2xx request ms: {server_cpu / res['ok'] * 1000:.3f}")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.monitor_ingest", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--nodes", type=int, default=1000, help="simulated nodes (1000)")
    parser.add_argument("--seconds", type=float, default=10.0, help="seconds per phase (10)")
    parser.add_argument(
        "--connections", type=int, default=48, help="concurrent keep-alive connections (48)"
    )
    parser.add_argument(
        "--order",
        choices=("heartbeat-first", "health-first"),
        default="heartbeat-first",
        help="which phase runs first (heartbeat-first)",
    )
    parser.add_argument(
        "--client",
        choices=("auto", "wrk", "python"),
        default="auto",
        help="load generator: wrk (C, Debian's wrk) or the asyncio client; auto picks wrk "
        "when installed",
    )
    parser.add_argument("--workers", type=int, help="server worker processes (its default)")
    parser.add_argument(
        "--warmup",
        type=float,
        default=3.0,
        help="seconds of heartbeats before measuring, so every node is registered and "
        "online, as in a running studio (3; 0 measures the cold start too)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the temp folder (db, log)")
    args = parser.parse_args(argv)
    if not 1 <= args.nodes <= 10000:
        parser.error("--nodes must be between 1 and 10000")
    if args.connections < 1 or args.seconds <= 0:
        parser.error("--connections and --seconds must be positive")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    import requests

    from tests.procs import ServiceProcess

    tmp = Path(tempfile.mkdtemp(prefix="yl-bench-"))
    db = tmp / "bench.db"
    server_args = ["--db", f"sqlite:///{db}", "--no-checks"]
    if args.workers:
        server_args += ["--workers", str(args.workers)]
    server = ServiceProcess("yl_monitor", server_args, log_path=tmp / "yl_monitor.log")
    client = args.client
    if client == "auto":
        client = "wrk" if shutil.which("wrk") else "python"
    order = [HEARTBEAT, HEALTH] if args.order == "heartbeat-first" else [HEALTH, HEARTBEAT]
    print("== yl_monitor heartbeat ingest benchmark ==")
    print(f"nodes: {args.nodes}")
    print(f"connections: {args.connections}")
    print(f"seconds per phase: {args.seconds:g}")
    print(f"phase order: {order[0]} first, then {order[1]}")
    print(f"cpu cores: {os.cpu_count()}")
    print(f"temp folder: {tmp}")

    results: dict[str, dict] = {}
    warm_stored = 0
    server_cpu: dict[str, float] = {}
    hb_status: dict[str, Any] | None = None
    rc: int | None = None
    try:
        try:
            server.start()
        except RuntimeError as exc:
            print(f"error: the monitor did not start: {exc}", file=sys.stderr)
            return 2
        assert server.proc is not None
        print(f"server: python -m yl_monitor {' '.join(server.args)} (pid {server.proc.pid})")
        ctx = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=1, mp_context=ctx) as pool:
            if client == "wrk":
                print("client: wrk, one thread")
            else:
                print(f"client: one process (pid {pool.submit(_client_ready).result()}), asyncio")
            if args.warmup > 0:
                print(f"warm-up: {args.warmup:g} s of heartbeats, not measured")
                if client == "wrk":
                    run_wrk(HEARTBEAT, server.port, args.nodes, args.connections, args.warmup, tmp)
                else:
                    pool.submit(
                        run_phase,
                        HEARTBEAT,
                        server.port,
                        args.nodes,
                        args.connections,
                        args.warmup,
                    ).result()
                time.sleep(1.5)  # let the evaluator take the new nodes online
            warm_stored = _count_stored(db)
            for i, kind in enumerate(order):
                if i:
                    time.sleep(0.5)
                cpu0 = _server_cpu_s(server.proc.pid)
                if client == "wrk":
                    results[kind] = run_wrk(
                        kind, server.port, args.nodes, args.connections, args.seconds, tmp
                    )
                else:
                    results[kind] = pool.submit(
                        run_phase, kind, server.port, args.nodes, args.connections, args.seconds
                    ).result()
                server_cpu[kind] = _server_cpu_s(server.proc.pid) - cpu0
                if kind == HEARTBEAT:
                    resp = requests.get(server.url + "/api/status", timeout=10)
                    status = resp.json()
                    hb_status = {**status.get("heartbeats", {}), "workers": status.get("workers")}
    except Exception as exc:
        print(f"error: the benchmark failed: {type(exc).__name__}: {exc}", file=sys.stderr)
        print(f"server log tail:\n{server.log[-3000:]}", file=sys.stderr)
        return 2
    finally:
        try:
            rc = server.stop()
        except Exception as exc:  # killed after the stop timeout
            print(f"error: the monitor did not stop on SIGTERM: {exc}", file=sys.stderr)
            server.kill()

    hb, health = results[HEARTBEAT], results[HEALTH]
    print()
    print("-- heartbeat phase: POST /api/ar/nodes/<id>/heartbeat --")
    _print_phase("heartbeat", "heartbeats/s", hb, server_cpu[HEARTBEAT])
    print("server /api/status heartbeats (end of the heartbeat phase):")
    for key, value in (hb_status or {}).items():
        print(f"  {key}: {value}")
    if hb_status and hb_status.get("batches"):
        print(f"  mean batch size: {hb_status['stored'] / hb_status['batches']:.1f}")
    print()
    print("-- health phase: GET /api/health --")
    _print_phase("health", "health req/s", health, server_cpu[HEALTH])
    ratio = hb["rate"] / health["rate"] if health["rate"] else float("nan")
    print()
    print(f"ratio heartbeats/s / health req/s: {ratio:.2f}")

    print()
    print("-- storage (after SIGTERM) --")
    print(f"server exit code: {rc}")
    stored = (_count_stored(db) if db.exists() else -1) - warm_stored
    accepted = hb["ok"]
    # wrk abandons the requests in flight when its time is up; the server still commits
    # them, so up to one beat per connection may be stored without an answer counted.
    match = accepted <= stored <= accepted + (args.connections if client == "wrk" else 0)
    print(f"beats stored in db during the measured phase: {stored}")
    print(f"beats accepted (2xx): {accepted}")
    print(f"every accepted beat stored: {'yes' if match else 'NO'}")
    if stored > accepted:
        print(f"  ({stored - accepted} more stored: answers cut off when the client stopped)")
    if not match and (hb["conn_errors"] or hb["timeouts"]):
        print("  (answers lost to connection errors or timeouts: those beats may be stored)")

    print()
    print("-- targets --")
    targets = [
        (f"heartbeats/s >= {TARGET_RATE:,.0f}", hb["rate"] >= TARGET_RATE, f"{hb['rate']:.1f}"),
        (f"heartbeat p99 < {TARGET_P99_MS:g} ms", hb["p99"] < TARGET_P99_MS, f"{hb['p99']:.2f}"),
        (f"heartbeats/s / health req/s >= {TARGET_RATIO}", ratio >= TARGET_RATIO, f"{ratio:.2f}"),
        ("every accepted beat stored", match, f"{stored} stored, {accepted} accepted"),
    ]
    for name, met, value in targets:
        print(f"{name}: {'met' if met else 'MISSED'} ({value})")
    print(f"all targets met: {'yes' if all(m for _, m, _ in targets) else 'no'}")

    if args.keep:
        print(f"kept: {tmp}")
    else:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0 if match else 1


if __name__ == "__main__":
    if not __package__:
        # Run as a file: sys.path[0] is benchmarks/, so re-run as a module from the repo root.
        os.chdir(ROOT)
        os.execv(sys.executable, [sys.executable, "-m", "benchmarks.monitor_ingest", *sys.argv[1:]])
    sys.exit(main())
