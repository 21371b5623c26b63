"""Group commit of heartbeats: requests wait until their beat is durable, in shared batches.

A commit per request caps ingest at the disk's commit rate. Here each request hands its beat
to one writer thread and waits; the writer takes everything that queued while the last
commit ran, writes it in one transaction, and then wakes all those requests at once. A
request is answered 200 only after the commit holding its beat returned.

A failed batch tells its requests why in words that name no SQL (the driver's text is logged
once), and the time of the failure is published: a beat that reached the monitor but could
not be stored was still a sign of life (see ``states.node_state``).
"""

from __future__ import annotations

import logging
import threading
import time

from shared.logs import FaultLatch
from shared.timeutil import Clock
from shared.workerstats import WorkerStats
from yl_monitor.sinks import BeatOutcome, BeatSink, StoreSink, failure_reason
from yl_monitor.store import BeatRecord, Store, StoreRefused

log = logging.getLogger(__name__)


class QueueFull(Exception):
    """More beats are waiting than the configured queue holds."""


class StorageFailed(Exception):
    """The batch holding this beat could not be committed."""


class BeatRefused(StoreRefused):
    """The database refused this one beat (its batch was stored without it)."""


class _Ticket:
    """Shared by every beat of one batch: set once that batch is committed (or failed)."""

    __slots__ = ("done", "error", "outcomes")

    def __init__(self) -> None:
        self.done = threading.Event()
        self.error: str | None = None
        self.outcomes: list[BeatOutcome] = []


class Claim:
    """One beat's place in its batch: ``wait`` says what became of it."""

    __slots__ = ("_index", "_ticket")

    def __init__(self, ticket: _Ticket, index: int) -> None:
        self._ticket = ticket
        self._index = index

    def wait(self, timeout: float) -> BeatOutcome:
        """Block until the batch is committed; StorageFailed or BeatRefused when not stored."""
        ticket = self._ticket
        if not ticket.done.wait(timeout):
            raise StorageFailed(
                f"heartbeat not stored, retry: the beat was not committed within {timeout:g} s"
            )
        if ticket.error is not None:
            raise StorageFailed(f"heartbeat not stored, retry: {ticket.error}")
        outcome = ticket.outcomes[self._index]
        if outcome.refused is not None:
            raise BeatRefused(f"heartbeat not stored: {outcome.refused}; do not retry it as is")
        return outcome


class HeartbeatWriter:
    """Owns the writer thread; ``submit`` queues a beat and returns a ticket to wait on."""

    STATS = (
        "hb_accepted",
        "hb_stored",
        "hb_duplicates",
        "hb_failed",
        "hb_rejected_full",
        "hb_queue_depth",
        "hb_batches",
        "hb_last_batch_size",
        "hb_storage_fault",
        "hb_storage_fault_at",  # clock time of the last batch that could not be stored
    )

    def __init__(
        self,
        store: Store,
        *,
        sink: BeatSink | None = None,
        queue_max: int = 20000,
        stats: WorkerStats | None = None,
        clock: Clock | None = None,
    ) -> None:
        self._sink = sink or StoreSink(store)
        self._clock = clock or Clock()
        self._queue_max = queue_max
        self._cond = threading.Condition()
        self._pending: list[BeatRecord] = []
        self._ticket = _Ticket()
        self._stopping = False
        self._thread: threading.Thread | None = None
        self._fault = FaultLatch(log, "storing heartbeats")
        self.accepted = 0
        self.stored = 0
        self.duplicates = 0
        self.rejected_full = 0
        self.failed = 0
        self.batches = 0
        self.last_batch_size = 0
        self.last_commit_ms = 0.0
        self.fault_at: float | None = None
        self._stats = stats or WorkerStats(self.STATS)

    def _publish(self) -> None:
        """Copy this worker's counters to shared memory (caller holds ``_cond``)."""
        st = self._stats
        st.set("hb_accepted", self.accepted)
        st.set("hb_stored", self.stored)
        st.set("hb_duplicates", self.duplicates)
        st.set("hb_failed", self.failed)
        st.set("hb_rejected_full", self.rejected_full)
        st.set("hb_queue_depth", len(self._pending))
        st.set("hb_batches", self.batches)
        st.set("hb_last_batch_size", self.last_batch_size)
        st.set("hb_storage_fault", 1.0 if self._fault.active else 0.0)
        st.set("hb_storage_fault_at", self.fault_at or 0.0)

    # ---- request side ----------------------------------------------------------------------

    def submit(self, record: BeatRecord) -> Claim:
        with self._cond:
            if self._stopping:
                raise StorageFailed("heartbeat not stored, retry: the monitor is shutting down")
            if len(self._pending) >= self._queue_max:
                self.rejected_full += 1
                self._publish()
                raise QueueFull(
                    f"heartbeat queue is full ({len(self._pending)} beats waiting to be "
                    "written), retry shortly"
                )
            claim = Claim(self._ticket, len(self._pending))
            self._pending.append(record)
            self.accepted += 1
            if len(self._pending) == 1:
                self._cond.notify()
            self._publish()
            return claim

    @property
    def queue_depth(self) -> int:
        with self._cond:
            return len(self._pending)

    @property
    def fault(self) -> str | None:
        return self._fault.active

    # ---- writer side -----------------------------------------------------------------------

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name="heartbeat-writer", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop taking beats, commit everything already queued, then end the thread."""
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        self._sink.close()

    def _take(self) -> tuple[list[BeatRecord], _Ticket] | None:
        with self._cond:
            while not self._pending:
                if self._stopping:
                    return None
                self._cond.wait(0.5)
            batch, ticket = self._pending, self._ticket
            self._pending, self._ticket = [], _Ticket()
            return batch, ticket

    def _run(self) -> None:
        while True:
            taken = self._take()
            if taken is None:
                return
            batch, ticket = taken
            try:
                self._write(batch, ticket)
            finally:
                with self._cond:
                    self._publish()
                ticket.done.set()

    def _write(self, batch: list[BeatRecord], ticket: _Ticket) -> None:
        started = time.perf_counter()
        try:
            ticket.outcomes = self._sink.write(batch)
        except Exception as exc:
            self.failed += len(batch)
            self.fault_at = self._clock.now()
            ticket.error = f"storage error: {failure_reason(exc)}"
            if self._fault.fault(ticket.error):
                log.debug("storage failure detail", exc_info=True)  # the store logs its own
            return
        self._fault.clear()
        refused = sum(1 for o in ticket.outcomes if o.refused is not None)
        duplicates = sum(1 for o in ticket.outcomes if o.duplicate)
        self.failed += refused
        self.duplicates += duplicates
        self.stored += len(batch) - refused - duplicates
        self.batches += 1
        self.last_batch_size = len(batch)
        self.last_commit_ms = (time.perf_counter() - started) * 1000
