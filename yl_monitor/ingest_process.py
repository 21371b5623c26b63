"""The ingest process: one single-threaded committer for every worker's heartbeats.

It accepts the workers' Unix-socket connections, reads whatever batches have arrived from
all of them, commits them together in one transaction, and answers each worker. It has no
HTTP threads, so it holds the database's write lock only for the commit itself.
"""

from __future__ import annotations

import contextlib
import logging
import os
import selectors
import signal
import socket
from typing import Any

from shared.logs import FaultLatch
from shared.stopflag import stop_requested
from yl_monitor.sinks import HEADER, MAX_FRAME, StoreSink, failure_reason, send_frame
from yl_monitor.store import BeatRecord, Store

log = logging.getLogger(__name__)


class _Peer:
    __slots__ = ("buf", "sock")

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buf = bytearray()

    def frames(self) -> list[Any]:
        """Complete frames in the buffer (pickled batches)."""
        import pickle

        out = []
        while len(self.buf) >= HEADER.size:
            (size,) = HEADER.unpack_from(self.buf)
            if size > MAX_FRAME:
                raise ConnectionError("frame too large")
            if len(self.buf) < HEADER.size + size:
                break
            data = bytes(self.buf[HEADER.size : HEADER.size + size])
            del self.buf[: HEADER.size + size]
            out.append(pickle.loads(data))
        return out


def _commit(sink: StoreSink, work: list[tuple[_Peer, list[BeatRecord]]], fault: FaultLatch) -> None:
    """Commit every batch received in one go; answer each worker with its beats' outcomes,
    or with why none was stored (the store's words, which name no SQL)."""
    records = [r for _peer, batch in work for r in batch]
    try:
        outcomes = sink.write(records)
    except Exception as exc:
        reason = failure_reason(exc)
        if fault.fault(reason):
            log.debug("ingest commit failure detail", exc_info=True)
        answers: list[tuple[bool, Any]] = [(False, reason)] * len(work)
    else:
        fault.clear()
        answers, start = [], 0
        for _peer, batch in work:
            answers.append((True, outcomes[start : start + len(batch)]))
            start += len(batch)
    for (peer, _batch), answer in zip(work, answers, strict=True):
        with contextlib.suppress(OSError):  # a worker gone away sees its own error
            send_frame(peer.sock, answer)


def run_ingest_server(path: str, store: Store) -> int:
    """Serve until SIGTERM; every batch received before it is committed and answered."""
    stopping = False

    def _stop(_signum: int, _frame: Any) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the supervisor decides when we stop
    stopping = stop_requested()  # a SIGTERM that came before the handler above
    if os.path.exists(path):
        os.unlink(path)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    os.chmod(path, 0o600)
    listener.listen(64)
    listener.setblocking(False)
    sel = selectors.DefaultSelector()
    sel.register(listener, selectors.EVENT_READ)
    peers: dict[socket.socket, _Peer] = {}
    sink = StoreSink(store)
    fault = FaultLatch(log, "ingest commit")
    log.info("ingest process ready on %s", path)
    try:
        while not stopping or peers:
            work: list[tuple[_Peer, list[BeatRecord]]] = []
            for key, _mask in sel.select(timeout=0.5):
                sock = key.fileobj
                if sock is listener:
                    conn, _ = listener.accept()
                    conn.setblocking(True)
                    peers[conn] = _Peer(conn)
                    sel.register(conn, selectors.EVENT_READ)
                    continue
                assert isinstance(sock, socket.socket)  # the listener and its connections only
                peer = peers[sock]
                try:
                    data = peer.sock.recv(1 << 20)
                    if not data:
                        raise ConnectionError("closed")
                    peer.buf += data
                    work.extend((peer, batch) for batch in peer.frames())
                except (OSError, ConnectionError, ValueError):
                    sel.unregister(peer.sock)
                    peers.pop(peer.sock, None)
                    peer.sock.close()
            if not work:
                if stopping and not peers:
                    break
                continue
            _commit(sink, work, fault)
    finally:
        sel.close()
        listener.close()
        for peer in peers.values():
            peer.sock.close()
        if os.path.exists(path):
            os.unlink(path)
        with contextlib.suppress(OSError):  # the private folder made for the socket
            os.rmdir(os.path.dirname(path))
        store.close()
    log.info("ingest process stopped")
    return 0
