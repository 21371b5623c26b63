"""Serve a WSGI app on waitress, in one process or in several pre-forked workers.

The parent binds the port, then forks ``workers`` children that accept on the same socket
(each a waitress server with its own threads), so a CPU-bound Python app uses every core.
SIGTERM or SIGINT to the parent is passed to every worker; each stops accepting, lets its
in-flight requests finish, runs its own clean-up (say, a final commit), and exits. A worker
that dies on its own is logged and started again. Without ``os.fork`` (Windows) or with one
worker, everything runs in the calling process.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import functools
import json
import logging
import os
import signal
import socket
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, cast

from waitress.channel import HTTPChannel
from waitress.parser import HTTPRequestParser
from waitress.server import BaseWSGIServer, create_server
from waitress.task import ErrorTask

from shared import sdnotify
from shared.config import ServerConfig
from shared.messages import msg
from shared.stopflag import note_stop, stop_requested
from shared.timeutil import utc_now_iso

log = logging.getLogger(__name__)
_forked = False  # True in a pre-forked child: the supervisor is the service's main pid


@dataclass
class Worker:
    """What a worker process serves, and its hooks."""

    app: Any
    cleanup: Callable[[], None]  # after the server stopped: flush, close, release
    on_signal: Callable[[], None] | None = None  # at SIGTERM, before in-flight requests end
    on_reload: Callable[[], None] | None = None  # at SIGHUP: re-read what can change live


WorkerFactory = Callable[[int], Worker]
# (name, main) of a helper process: started before the workers, stopped after them
Helper = tuple[str, Callable[[], int]]


def default_workers() -> int:
    if not hasattr(os, "fork"):
        return 1
    return max(1, min(os.cpu_count() or 1, 4))


def resolve_workers(server_cfg: ServerConfig) -> int:
    workers = server_cfg.workers or default_workers()
    return 1 if not hasattr(os, "fork") else workers


def _listen(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(1024)
    sock.setblocking(False)
    return sock


class _JsonErrorTask(ErrorTask):
    """Waitress's own refusals (a malformed request line, headers or body over its limits)
    answered in the services' JSON error envelope instead of a plain-text page."""

    def execute(self) -> None:
        # waitress's stubs type Task.request as the Error and response_headers as a Sequence:
        # an ErrorTask is handed the request parser (whose .error is the Error; waitress's own
        # ErrorTask reads it so), and the headers are a list it extends
        parser = cast(HTTPRequestParser, self.request)
        err = parser.error
        assert err is not None  # waitress makes an ErrorTask only for a request with an error
        body = json.dumps(
            {
                "error": err.reason,
                **msg("error.http", detail=str(err.body).strip() or err.reason).fields("message"),
                "code": err.code,
                "timestamp": utc_now_iso(),
            }
        ).encode()
        self.status = f"{err.code} {err.reason}"
        cast(list[tuple[str, str]], self.response_headers).append(
            ("Content-Type", "application/json")
        )
        self.set_close_on_finish()
        self.content_length = len(body)
        self.write(body)


class _JsonErrorChannel(HTTPChannel):
    error_task_class = _JsonErrorTask


def _run_waitress(
    app: Any,
    sock: socket.socket,
    server_cfg: ServerConfig,
    name: str,
    on_signal: Callable[[], None] | None = None,
) -> None:
    options = [(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)]
    if server_cfg.send_buffer:  # a fixed size also turns off the kernel's autotuning
        options.append((socket.SOL_SOCKET, socket.SO_SNDBUF, server_cfg.send_buffer))
    server = create_server(
        app,
        sockets=[sock],
        threads=server_cfg.threads,
        connection_limit=server_cfg.connection_limit,
        outbuf_high_watermark=server_cfg.outbuf_high_watermark,
        asyncore_use_poll=True,
        channel_timeout=120,
        ident=name,
        clear_untrusted_proxy_headers=True,
    )

    server.adj.socket_options = options  # not a create_server argument; read at accept()
    servers = [server] if isinstance(server, BaseWSGIServer) else list((server.map or {}).values())
    for each in servers:
        if isinstance(each, BaseWSGIServer):
            each.channel_class = _JsonErrorChannel  # read at accept(), like socket_options

    def _stop(signum: int, _frame: Any) -> None:
        if not _forked:
            sdnotify.notify("STOPPING=1")
        if on_signal is not None:
            on_signal()  # e.g. end streaming responses, so waitress need not wait for them
        raise SystemExit(0)

    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, _stop)
    try:
        if stop_requested():  # asked to stop while the app was being built
            return
        server.run()  # returns after SystemExit, having waited for in-flight requests
    finally:
        server.close()


def _worker_main(
    index: int, make_worker: WorkerFactory, sock: socket.socket, cfg: ServerConfig, name: str
) -> int:
    try:
        worker = make_worker(index)
    except Exception:
        log.exception("%s worker %d failed to start", name, index)
        return 1

    def _reload(_signum: int, _frame: Any) -> None:
        if worker.on_reload is None:
            log.info("%s: SIGHUP: nothing to reload", name)
            return
        if index == 0:
            sdnotify.reloading()
        try:
            worker.on_reload()
        except Exception:
            log.exception("%s: reload failed; the running configuration stays", name)
        if index == 0:
            sdnotify.notify("READY=1")

    signal.signal(signal.SIGHUP, _reload)
    watchdog = sdnotify.Watchdog()
    if index == 0:  # one process speaks for the service (the units say NotifyAccess=all)
        sdnotify.notify(f"READY=1\nSTATUS={name} serving")
        watchdog.start()
    try:
        _run_waitress(worker.app, sock, cfg, name, worker.on_signal)
    finally:
        watchdog.stop()
        worker.cleanup()
    return 0


def serve(
    make_worker: WorkerFactory,
    server_cfg: ServerConfig,
    *,
    name: str,
    workers: int = 1,
    helpers: Sequence[Helper] = (),
    on_listening: Callable[[str], None] | None = None,
) -> int:
    """Bind, serve until SIGTERM/SIGINT, clean up; returns the exit status (0 when clean).

    ``helpers`` are extra processes of a pre-forked server (say, one that owns the
    database writes): started before the workers, restarted if they die, and stopped only
    after every worker has finished its in-flight requests.
    """
    sock = _listen(server_cfg.host, server_cfg.port)
    url = f"http://{server_cfg.host}:{sock.getsockname()[1]}"
    log.info("%s listening on %s (%d worker process(es))", name, url, workers)
    if on_listening is not None:
        on_listening(url)
    if workers <= 1:
        try:
            return _worker_main(0, make_worker, sock, server_cfg, name)
        finally:
            sock.close()
    return _supervise(make_worker, sock, server_cfg, name, workers, helpers)


def _die_with_parent(parent: int) -> None:
    """In a worker: get SIGTERM when the supervisor dies, however it dies (Linux)."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:  # it died before prctl took effect
        os.kill(os.getpid(), signal.SIGTERM)


def _supervise(
    make_worker: WorkerFactory,
    sock: socket.socket,
    cfg: ServerConfig,
    name: str,
    workers: int,
    helpers: Sequence[Helper],
) -> int:
    children: dict[int, str] = {}  # pid -> "worker 0" / "ingest" ...
    mains: dict[str, Callable[[], int]] = {}
    parent = os.getpid()
    stopping = False
    restarts: list[float] = []

    def spawn(label: str) -> None:
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:  # the child
            global _forked
            _forked = True
            code = 1
            try:
                for sig in (signal.SIGTERM, signal.SIGINT):
                    signal.signal(sig, note_stop)  # until the child installs its own
                signal.signal(signal.SIGHUP, signal.SIG_IGN)  # a worker sets its own
                _die_with_parent(parent)
                code = mains[label]()
            except Exception:
                log.exception("%s %s failed", name, label)
            finally:
                logging.shutdown()
                os._exit(code)
        children[pid] = label

    def signal_children(kind: str) -> None:
        for pid, label in list(children.items()):
            if label.startswith(kind):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGTERM)

    def forward(signum: int, _frame: Any) -> None:
        nonlocal stopping
        if not stopping:
            log.info("%s: %s received, stopping workers", name, signal.Signals(signum).name)
            sdnotify.notify("STOPPING=1")
        stopping = True
        signal_children("worker")

    def forward_reload(_signum: int, _frame: Any) -> None:
        for pid, label in list(children.items()):
            if label.startswith("worker"):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGHUP)

    signal.signal(signal.SIGHUP, forward_reload)

    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, forward)
    for label, main in helpers:
        mains[label] = main
        spawn(label)
    for index in range(workers):
        label = f"worker {index}"
        mains[label] = functools.partial(_worker_main, index, make_worker, sock, cfg, name)
        spawn(label)
    status = 0
    while children:
        if stopping and not any(label.startswith("worker") for label in children.values()):
            signal_children("")  # the workers are done: now the helpers
        try:
            pid, wait_status = os.wait()
        except ChildProcessError:
            break
        if pid not in children:
            continue
        label = children.pop(pid)
        code = os.waitstatus_to_exitcode(wait_status)
        if stopping:
            if code != 0:
                status = 1
                log.error("%s %s exited with %d while stopping", name, label, code)
            continue
        log.error("%s %s (pid %d) died with %d; starting it again", name, label, pid, code)
        now = time.monotonic()
        restarts[:] = [t for t in restarts if now - t < 60] + [now]
        if len(restarts) > 5 * (workers + len(helpers)):
            log.critical("%s processes keep dying; giving up", name)
            forward(signal.SIGTERM, None)
            status = 1
            continue
        time.sleep(0.5)
        spawn(label)
    sock.close()
    return status
