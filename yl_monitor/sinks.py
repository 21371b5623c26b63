"""Where the heartbeat writer sends a batch: straight to the store, or to the ingest process.

A pre-forked monitor on SQLite runs one ingest process (see ``ingest_process``) that does
every heartbeat commit, so the HTTP workers never hold SQLite's single write lock while they
wait for their own GIL. Each worker's writer thread ships its batch over a Unix socket and
waits for the answer; the request threads behind it wait as before.

A sink says what became of each beat (:class:`BeatOutcome`): stored, a duplicate (a retry of
a beat already stored), or refused by the database. When the database refuses a batch, its
halves are committed apart, down to single beats, so only the beats it refuses fail.
"""

from __future__ import annotations

import logging
import pickle
import socket
import struct
import time
from dataclasses import dataclass
from typing import Any, Protocol

from yl_monitor.store import BeatRecord, Store, StoreError, StoreRefused

log = logging.getLogger(__name__)

HEADER = struct.Struct("!I")
MAX_FRAME = 256 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class BeatOutcome:
    """What became of one beat of a batch."""

    duplicate: bool = False  # a retry of a beat already stored: nothing changed
    refused: str | None = None  # the database refused this beat (why, without SQL)


STORED = BeatOutcome()
DUPLICATE = BeatOutcome(duplicate=True)


class BeatSink(Protocol):
    def write(self, batch: list[BeatRecord]) -> list[BeatOutcome]:
        """Commit the batch and say what became of each beat, or raise (nothing stored)."""

    def close(self) -> None: ...


class StoreSink:
    """Writes to the store in this process, with a cache of node ids known to exist."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._known: set[str] | None = None

    def write(self, batch: list[BeatRecord]) -> list[BeatOutcome]:
        """Commit the batch; one the database refuses is split in halves, down to single
        beats, so only the beats it refuses are left out. ``StoreUnavailable`` (the
        database is down or full) is raised, not split: every beat would fail alike."""
        try:
            return self._commit(batch)
        except StoreRefused as exc:
            if len(batch) == 1:
                return [self._refused(batch[0], exc)]
        mid = len(batch) // 2
        return self.write(batch[:mid]) + self.write(batch[mid:])

    def _commit(self, batch: list[BeatRecord]) -> list[BeatOutcome]:
        if self._known is None:
            self._known = self._store.known_node_ids()
        try:
            repeated = self._store.write_beats(batch, self._known)
        except Exception as exc:
            if not isinstance(exc, StoreRefused):  # re-check node rows once it is back
                self._known = None
            raise
        return [DUPLICATE if again else STORED for again in repeated]

    @staticmethod
    def _refused(record: BeatRecord, exc: StoreRefused) -> BeatOutcome:
        log.warning("the database refused a heartbeat of %s: %s", record.node_id, exc.detail)
        return BeatOutcome(refused=str(exc))

    def close(self) -> None:
        """The store belongs to its owner."""


def send_frame(sock: socket.socket, obj: Any) -> None:
    data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    sock.sendall(HEADER.pack(len(data)) + data)


def _recv_exact(sock: socket.socket, n: int) -> bytes:
    chunks = bytearray()
    while len(chunks) < n:
        chunk = sock.recv(n - len(chunks))
        if not chunk:
            raise ConnectionError("the ingest process closed the connection")
        chunks += chunk
    return bytes(chunks)


def recv_frame(sock: socket.socket) -> Any:
    (size,) = HEADER.unpack(_recv_exact(sock, HEADER.size))
    if size > MAX_FRAME:
        raise ConnectionError(f"frame of {size} bytes is too large")
    return pickle.loads(_recv_exact(sock, size))


class IngestError(Exception):
    """The ingest process could not commit the batch (its reason names no SQL)."""


def failure_reason(exc: BaseException) -> str:
    """Why a batch failed, fit for a client: the store's and the ingest process's own words
    (they name no SQL), else only the exception's class name."""
    if isinstance(exc, StoreError | IngestError | ConnectionError):
        return str(exc)
    return type(exc).__name__


class RemoteSink:
    """Sends each batch to the ingest process over a Unix socket and waits for its commit."""

    def __init__(self, path: str, timeout: float = 30.0, connect_wait: float = 5.0) -> None:
        self._path = path
        self._timeout = timeout
        self._connect_wait = connect_wait
        self._sock: socket.socket | None = None

    def _connect(self) -> socket.socket:
        """Connect, waiting up to ``connect_wait`` s for the ingest process to listen."""
        if self._sock is None:
            deadline = time.monotonic() + self._connect_wait
            while True:
                sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                sock.settimeout(self._timeout)
                try:
                    sock.connect(self._path)
                    break
                except OSError as exc:
                    sock.close()
                    if time.monotonic() >= deadline:
                        raise ConnectionError(f"ingest process not reachable: {exc}") from exc
                    time.sleep(0.05)
            self._sock = sock
        return self._sock

    def write(self, batch: list[BeatRecord]) -> list[BeatOutcome]:
        sock = self._connect()
        try:
            send_frame(sock, batch)
            ok, result = recv_frame(sock)
        except (OSError, EOFError, pickle.PickleError) as exc:
            self.close()  # reconnect next time (the ingest process may have restarted)
            raise ConnectionError(f"lost the ingest process: {exc}") from exc
        if not ok:
            raise IngestError(result)
        return result

    def close(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None
