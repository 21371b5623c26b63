"""Checks that a port is free before a server binds it, naming whoever holds it."""

from __future__ import annotations

import errno
import socket

import psutil


class PortInUse(RuntimeError):
    """The port is taken; the message names the holding process where it can be found."""


def _listens(proc: psutil.Process, port: int) -> bool:
    try:
        conns = proc.net_connections(kind="tcp")
    except (psutil.Error, OSError):
        return False
    return any(c.status == psutil.CONN_LISTEN and c.laddr and c.laddr.port == port for c in conns)


def _main_process(proc: psutil.Process, port: int) -> psutil.Process:
    """The topmost process sharing ``proc``'s listening socket on ``port``.

    A pre-forked server (the monitor) shares one listening socket between its supervisor,
    its workers and its helpers, and the system may name any of them; the one to stop is
    the supervisor (the service's main pid), so walk up while the parent holds the port too.
    """
    while True:
        try:
            parent = proc.parent()
        except psutil.Error:
            return proc
        if parent is None or not _listens(parent, port):
            return proc
        proc = parent


def port_holder(port: int) -> str | None:
    """'name (pid N): command' of the process listening on ``port`` (the supervisor of a
    pre-forked server, not one of its workers), or None when unknown."""
    try:
        conns = psutil.net_connections(kind="tcp")
    except (psutil.AccessDenied, OSError):
        return None
    for conn in conns:
        if conn.status == psutil.CONN_LISTEN and conn.laddr and conn.laddr.port == port:
            if conn.pid is None:
                return "another process (pid hidden)"
            try:
                proc = _main_process(psutil.Process(conn.pid), port)
                return f"{proc.name()} (pid {proc.pid}): {' '.join(proc.cmdline()[:4])}"
            except psutil.Error:
                return f"pid {conn.pid}"
    return None


def ensure_port_free(host: str, port: int) -> None:
    """Raise :class:`PortInUse` when ``host:port`` cannot be bound."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            if exc.errno != errno.EADDRINUSE:
                raise PortInUse(f"cannot bind {host}:{port}: {exc.strerror}") from exc
            holder = port_holder(port)
            who = f" by {holder}" if holder else ""
            raise PortInUse(
                f"port {port} on {host} is already in use{who}; stop it or choose another "
                f"port (--port)"
            ) from exc


def free_port(host: str = "127.0.0.1") -> int:
    """A port the OS says is free right now (for tests and benchmarks)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])
