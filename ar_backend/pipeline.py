"""The live path: capture thread -> [one-frame slot] -> (prepare thread -> [one-frame slot]
->) process thread -> [latest output].

Neither stage ever waits on the other or on a reader: the capture thread overwrites the slot
(an unprocessed frame it replaces is counted as dropped), and every output reader takes the
newest frame there is.

With ``overlap`` (``pipeline.overlap``, on by default) and a processor that has a prepare step
(the face swap: finding the frame's faces), the prepare thread runs those steps on a frame
while the process thread renders the one before: the machine's second core works on the live
path, and a frame's latency is still the sum of its own steps (the slot between them holds
one frame; a newer one replaces it and the older counts as dropped).
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque

from ar_backend.frames import Frame, LatestSlot
from ar_backend.governor import Governor
from ar_backend.processors import Processor, ProcessorContext
from ar_backend.processors.base import PrepareStep, prepare_step
from ar_backend.sources import Source, SourceError
from ar_backend.stages import Lap, StageMeter
from shared.logs import FaultLatch
from shared.messages import Message, msg, text_fields
from shared.wire.backend import CameraStatus, Percentiles, Size

log = logging.getLogger(__name__)


def _percentile(values: list[float], p: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


class RateMeter:
    """Events per second over the last ``span`` seconds."""

    def __init__(self, span: float = 2.0) -> None:
        self.span = span
        self._times: deque[float] = deque()
        self._lock = threading.Lock()

    def tick(self, now: float) -> None:
        with self._lock:
            self._times.append(now)
            while self._times and now - self._times[0] > self.span:
                self._times.popleft()

    def rate(self, now: float | None = None) -> float:
        now = time.monotonic() if now is None else now
        with self._lock:
            while self._times and now - self._times[0] > self.span:
                self._times.popleft()
            if len(self._times) < 2:
                return 0.0
            return (len(self._times) - 1) / max(now - self._times[0], 1e-6)

    def reset(self) -> None:
        with self._lock:
            self._times.clear()


JUST_IN_TIME_MS = 3.0  # (overlap) a prepared frame is ready this long before it is wanted


class Ema:
    """A moving mean (each value a tenth of it), 0 before the first."""

    def __init__(self, weight: float = 0.1) -> None:
        self.weight = weight
        self.value = 0.0
        self._seen = False

    def add(self, value: float) -> None:
        if not self._seen:
            self.value, self._seen = value, True
        else:
            self.value += self.weight * (value - self.value)


class Pipeline:
    """Owns the capture and process threads for one source at a time."""

    def __init__(
        self,
        processors: list[Processor],
        *,
        stats_window: int = 300,
        reconnect_min: float = 0.5,
        reconnect_max: float = 5.0,
        governor: Governor | None = None,
        overlap: bool = True,
    ) -> None:
        self.processors = processors
        # the processors' prepare steps, run one frame ahead on the prepare thread (overlap)
        self._prepares: list[tuple[Processor, PrepareStep]] = [
            (p, step) for p in processors if (step := prepare_step(p)) is not None
        ]
        self.overlap = overlap and bool(self._prepares)
        # (overlap) how long each thread's part of a frame takes: the prepare thread starts
        # a frame that long before the process thread will want it
        self._process_ms = Ema()
        self._prepare_ms = Ema()
        self._prepare_faults = [FaultLatch(log, f"processor {p.name}") for p, _ in self._prepares]
        # told about every frame out; turns knobs down (and up) on this thread, between frames
        self.governor = governor
        # one per processor: a failing one is logged once (with its traceback) and shown in
        # stats() until it processes a frame again, not logged on every frame
        self._faults = [FaultLatch(log, f"processor {p.name}") for p in processors]
        self.input = LatestSlot()
        self.prepared = LatestSlot()  # (overlap) prepared, waiting for the process thread
        self.output = LatestSlot()
        self.reconnect_min = reconnect_min
        self.reconnect_max = reconnect_max
        self._lock = threading.Lock()
        self._state_lock = threading.Lock()  # state and error; see _set_state
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._source: Source | None = None
        self._seq = 0  # never reset: readers compare sequence numbers across restarts
        self.state = "stopped"
        self.error: Message | None = None  # why the source is not running (for a person)
        self.started_at: float | None = None
        self.reconnects = 0
        self.connect_attempts = 0
        self._connecting_since: float | None = None
        self.fps_in = RateMeter()
        self.fps_out = RateMeter()
        self._latency: deque[float] = deque(maxlen=stats_window)
        # each frame's stages (ar_backend/stages.py): "capture" (the source's read: decoding,
        # not waiting for the frame), "wait" (captured to taken by the process thread), each
        # processor and the parts they report (face.detect, ...)
        self.stages = StageMeter(stats_window)
        self._stats_window = stats_window
        self.frames_in = 0
        self.frames_out = 0
        self._ctx = ProcessorContext()
        # held while one frame goes through the processors: a change that must land on a
        # frame boundary (a persona: face and label together) takes it for a moment
        self._frame_lock = threading.Lock()

    # ---- control ---------------------------------------------------------------------------

    @property
    def source(self) -> Source | None:
        return self._source

    @property
    def dropped(self) -> int:
        """Frames replaced unprocessed: by the capture thread, or (overlap) prepared and
        replaced before the process thread took them."""
        return self.input.dropped + self.prepared.dropped

    @property
    def running(self) -> bool:
        return self.state in ("connecting", "running", "reconnecting")

    def start(self, source: Source, *, opened: bool = True) -> None:
        """Run ``source`` until ``stop()``. ``opened=False``: the capture thread opens it
        (a network stream may take seconds); the state is ``connecting`` until it opens, and
        a failed open is retried with the usual backoff."""
        with self._lock:
            self._stop_locked()
            self._source = source
            self._stop = threading.Event()
            self.input.reopen()
            self.prepared.reopen()
            self.output.reopen()
            self.fps_in.reset()
            self.fps_out.reset()
            self._latency.clear()
            self.stages.clear()
            self.input.dropped = self.prepared.dropped = 0
            self._process_ms, self._prepare_ms = Ema(), Ema()
            self.frames_in = self.frames_out = 0
            self.reconnects = 0
            self.connect_attempts = 0
            if self.governor is not None:
                self.governor.reset()  # another source: judged afresh at full quality
            self.error = None
            self.state = "running" if opened else "connecting"
            self.started_at = time.time()
            self._connecting_since = None if opened else time.monotonic()
            stop = self._stop
            self._threads = [
                threading.Thread(
                    target=self._capture,
                    args=(source, stop, opened),
                    name="capture",
                    daemon=True,
                ),
                threading.Thread(target=self._process, args=(stop,), name="process", daemon=True),
            ]
            if self.overlap:
                self._threads.append(
                    threading.Thread(
                        target=self._prepare, args=(stop,), name="prepare", daemon=True
                    )
                )
            for t in self._threads:
                t.start()

    def stop(self) -> None:
        with self._lock:
            self._stop_locked()

    def _stop_locked(self) -> None:
        with self._state_lock:  # from here on the old threads change no state
            self._stop.set()
            if self.state != "error":
                self.state = "stopped"
            self._connecting_since = None
        self.input.close()
        self.prepared.close()
        source = self._source
        for t in self._threads:
            if t.name == "capture" and getattr(source, "opens_slowly", False):
                # a network open or read may hang until camera.open_timeout: stop does not
                # wait for it; the thread closes its source itself when the call returns
                t.join(timeout=0.2)
                if t.is_alive() and source is not None:
                    log.info("%s: its connect or read ends in the background", source.label)
            else:
                t.join(timeout=5)
        self._threads = []
        self._source = None
        self.fps_in.reset()
        self.fps_out.reset()

    def close(self) -> None:
        self.stop()
        self.output.close()
        for p in self.processors:
            p.close()

    # ---- threads ---------------------------------------------------------------------------

    def _set_state(self, stop: threading.Event, state: str, error: Message | None) -> bool:
        """State from a capture thread, unless it was stopped (a new source may be running)."""
        with self._state_lock:
            if stop.is_set():
                return False
            self.state, self.error = state, error
            if state != "connecting":
                self._connecting_since = None
            return True

    def _open(self, source: Source, stop: threading.Event, first: bool) -> bool:
        """Open ``source`` on this thread until it opens or ``stop``, with backoff between
        tries. The first failure is logged once; later ones only update the status."""
        delay = self.reconnect_min
        logged = False
        what = "connecting to" if first else "reconnecting to"
        while not stop.is_set():
            self.connect_attempts += 1
            try:
                source.open()
            except SourceError as exc:
                key = "camera.connecting" if first else "camera.reconnecting"
                why = msg(key, source=source.label, reason=str(exc))
                if not self._set_state(stop, "reconnecting", why):
                    return False
                if not logged:
                    log.warning("%s %s: %s (retrying)", what, source.label, exc)
                    logged = True
                if stop.wait(delay):
                    return False
                delay = min(delay * 2, self.reconnect_max)
                continue
            if not self._set_state(stop, "running", None):
                return False
            if first:
                log.info("%s connected", source.label)
            else:
                self.reconnects += 1
                log.info("%s is back after a reconnect", source.label)
            return True
        return False

    def _capture(self, source: Source, stop: threading.Event, opened: bool) -> None:
        try:
            if not opened and not self._open(source, stop, first=True):
                return
            while not stop.is_set():
                lap = Lap()
                image = source.read()
                if stop.is_set():
                    return
                if image is None:
                    message = msg("camera.stopped_delivering", source=source.label)
                    if not self._set_state(stop, "reconnecting", message):
                        return
                    log.warning("%s", message)
                    source.close()
                    if stop.wait(self.reconnect_min) or not self._open(source, stop, False):
                        return
                    continue
                now = time.monotonic()
                # a file says when its frame was due on its own clock (its sound is stamped
                # on that clock too); a device's frame is captured now
                due = getattr(source, "captured_at", None)
                captured = due if isinstance(due, float) and due <= now else now
                self._seq += 1
                self.frames_in += 1
                self.fps_in.tick(now)
                wall, cpu = lap.ms()
                # a file source says how long it decoded (its read also waits for the
                # frame's time); elsewhere the read's CPU time is the figure that counts
                decoded = getattr(source, "decode_ms", None)
                frame = Frame(image=image, seq=self._seq, captured=captured)
                position = getattr(source, "position", None)  # a file: which of its frames
                if isinstance(position, int):
                    frame.meta["source_frame"] = position
                frame.timings["capture"] = decoded if isinstance(decoded, float) else wall
                frame.cpu["capture"] = cpu
                self.input.put(frame)
        finally:
            source.close()  # this thread owns the source: nothing closes it mid-read

    def _prepare(self, stop: threading.Event) -> None:
        """(overlap) The processors' prepare steps on each frame, a frame ahead of process."""
        while not stop.is_set():
            # the next frame once the process thread has taken the last one (no work on
            # frames that would be replaced unread), and only so long before it is done with
            # that one as preparing takes: the frame taken is the newest the camera has then,
            # and it does not wait, prepared, for the process thread (no latency added)
            if not self.prepared.wait_taken(timeout=0.5):
                continue
            lead_s = self._process_ms.value - self._prepare_ms.value - JUST_IN_TIME_MS
            if lead_s > 0 and stop.wait(lead_s / 1000):
                return
            frame = self.input.take(timeout=0.5)
            if frame is None:
                continue
            started = time.monotonic()
            frame.timings["wait"] = max(0.0, started - frame.captured) * 1000
            for (proc, step), fault in zip(self._prepares, self._prepare_faults, strict=True):
                lap = Lap()
                try:
                    step(frame, self._ctx)
                except Exception as exc:  # process() then does the step itself
                    if fault.fault(f"{type(exc).__name__}: {exc}"):
                        log.exception("processor %s failed to prepare a frame", proc.name)
                else:
                    if fault.active is not None:
                        fault.clear()
                name = f"{proc.name}.prepare"
                frame.timings[name], frame.cpu[name] = lap.ms()
            now = time.monotonic()
            frame.meta["prepared_at"] = now
            self._prepare_ms.add((now - started) * 1000)
            self.prepared.put(frame)

    def _process(self, stop: threading.Event) -> None:
        slot = self.prepared if self.overlap else self.input
        while not stop.is_set():
            frame = slot.take(timeout=0.5)
            if frame is None:
                continue
            if self.overlap:  # from prepared to taken here
                ready = float(frame.meta.get("prepared_at", frame.captured))
                frame.timings["handoff"] = max(0.0, time.monotonic() - ready) * 1000
            else:
                frame.timings["wait"] = max(0.0, time.monotonic() - frame.captured) * 1000
            ctx = self._ctx
            ctx.fps_out = self.fps_out.rate()
            p50 = _percentile(list(self._latency), 50)
            ctx.latency_p50_ms = p50 or 0.0
            taken = time.monotonic()
            with self._frame_lock:
                frame = self._run_processors(frame, ctx)
            now = time.monotonic()
            self._process_ms.add((now - taken) * 1000)
            latency_ms = (now - frame.captured) * 1000
            frame.meta["output_at"] = now
            self._latency.append(latency_ms)
            for stage, ms in frame.timings.items():
                self.stages.add(stage, ms, frame.cpu.get(stage))
            self.frames_out += 1
            self.fps_out.tick(now)
            self.output.put(frame)
            if self.governor is not None:
                self._govern((now - taken) * 1000, latency_ms)

    def _govern(self, busy_ms: float, latency_ms: float) -> None:
        """Tell the governor about the frame just out (on this thread: a knob it turns takes
        effect from the next frame)."""
        assert self.governor is not None
        source = self._source
        if source is None:
            return
        behind = self.dropped + int(getattr(source, "frames_skipped", 0))
        step = self.governor.observe(busy_ms, behind, float(source.fps), latency_ms)
        if step is not None:
            log.info(
                "quality governor: %s (%s); now %s", step.says, step.why, self.governor.summary()
            )

    def _run_processors(self, frame: Frame, ctx: ProcessorContext) -> Frame:
        for proc, fault in zip(self.processors, self._faults, strict=True):
            lap = Lap()
            try:
                frame = proc.process(frame, ctx)
            except Exception as exc:  # the frame passes on unchanged
                if fault.fault(f"{type(exc).__name__}: {exc}"):
                    log.exception(
                        "processor %s failed; frames pass it unchanged until it recovers",
                        proc.name,
                    )
            else:
                if fault.active is not None:
                    fault.clear()
            frame.timings[proc.name], frame.cpu[proc.name] = lap.ms()
        return frame

    def between_frames(self) -> threading.Lock:
        """``with pipeline.between_frames():`` changes made inside land on the same frame:
        no frame is half through the processors meanwhile (keep it short: frames wait)."""
        return self._frame_lock

    # ---- figures ---------------------------------------------------------------------------

    def stats(self) -> CameraStatus:
        latency = list(self._latency)
        src = self._source
        since = self._connecting_since
        latest = self.output.latest()
        size = None
        if latest is not None:
            h, w = latest.image.shape[:2]
            size = Size(width=w, height=h)
        return CameraStatus(
            state=self.state,
            **text_fields("error", self.error),
            source=src.label if src else None,
            source_kind=src.kind if src else None,
            source_fps=round(src.fps, 2) if src else None,
            resolution=size,
            fps_in=round(self.fps_in.rate(), 2),
            fps_out=round(self.fps_out.rate(), 2),
            frames_in=self.frames_in,
            frames_out=self.frames_out,
            dropped_frames=self.dropped,
            # a file played in real time skips what it cannot decode in time
            source_skipped=int(getattr(src, "frames_skipped", 0)) if src else 0,
            reconnects=self.reconnects,
            connect_attempts=self.connect_attempts,
            connecting_s=None if since is None else round(time.monotonic() - since, 2),
            latency_ms=Percentiles(
                p50=_round(_percentile(latency, 50)), p95=_round(_percentile(latency, 95))
            ),
            stage_ms=self.stages.means(),
            # each stage's mean and p95 wall ms and its thread's mean CPU ms (stages.py)
            stages=self.stages.summary(),
            processors=[p.name for p in self.processors],
            processor_errors={
                **{
                    p.name: fault.active
                    for (p, _step), fault in zip(self._prepares, self._prepare_faults, strict=True)
                    if fault.active is not None
                },
                **{
                    p.name: fault.active
                    for p, fault in zip(self.processors, self._faults, strict=True)
                    if fault.active is not None
                },
            },
            started_at=self.started_at,
        )


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)
