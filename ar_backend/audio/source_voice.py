"""The voice from the video source (``input_device: "source"``): a thread that takes the
file's sound as it plays (:class:`SourceSound`), cuts it into the stream's blocks, each
stamped with the capture time of its first sample, and hands them on; and the output side,
which plays the changed voice on an output device when there is one (PortAudio), and says
why not when there is none: the recording gets the voice either way."""

from __future__ import annotations

import contextlib
import logging
import threading
from collections import deque
from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt

from ar_backend.sources.sound import SourceSound
from shared.messages import Message, msg

log = logging.getLogger(__name__)

Block = npt.NDArray[np.float32]


class SourceVoice:
    """Runs ``handle(block, captured)`` for each block of the source's sound, in a thread of
    its own (started and stopped by the engine)."""

    def __init__(
        self, sound: SourceSound, block_size: int, handle: Callable[[Block, float], None]
    ) -> None:
        self.sound = sound
        self.block_size = block_size
        self.handle = handle
        self._stop = threading.Event()
        self._pending = np.zeros((0, sound.channels), np.float32)
        self._pending_at: float | None = None  # capture time of _pending's first sample
        self._thread = threading.Thread(target=self._run, name="source-voice", daemon=True)
        self.error: Message | None = None

    def start(self) -> None:
        self.sound.clear()
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    def _run(self) -> None:
        rate, n = self.sound.rate, self.block_size
        try:
            while not self._stop.is_set():
                for chunk in self.sound.take(0.2):
                    if self._pending_at is None or len(self._pending) == 0:
                        self._pending_at = chunk.captured
                        self._pending = chunk.samples
                    else:
                        expected = self._pending_at + len(self._pending) / rate
                        if abs(chunk.captured - expected) > 0.02:  # a jump (a loop, a stall)
                            self._pending_at = chunk.captured - len(self._pending) / rate
                        self._pending = np.concatenate([self._pending, chunk.samples])
                    while len(self._pending) >= n and self._pending_at is not None:
                        block, self._pending = self._pending[:n], self._pending[n:]
                        at = self._pending_at
                        self._pending_at = at + n / rate
                        self.handle(np.ascontiguousarray(block), at)
        except Exception as exc:  # a fault in the chain: said in status, logged once
            self.error = msg("audio.source_voice_stopped", detail=f"{type(exc).__name__}: {exc}")
            log.exception("the voice from the source stopped")


class Playback:
    """The changed voice to an output device (PortAudio OutputStream), fed block by block
    from another thread; at most ``max_s`` waits (the oldest is dropped, never a queue)."""

    def __init__(self, sd: Any, device: Any, rate: int, channels: int, block: int) -> None:
        self.channels = channels
        self._lock = threading.Lock()
        self._queue: deque[Block] = deque()
        self._queued = 0
        self._max = int(rate * 0.25)
        self.underflows = 0
        self._stream = sd.OutputStream(
            samplerate=rate,
            blocksize=block,
            channels=channels,
            dtype="float32",
            device=device,
            latency="low",
            callback=self._callback,
        )
        self._stream.start()

    @property
    def latency_ms(self) -> float:
        return float(self._stream.latency) * 1000

    def push(self, block: Block) -> None:
        with self._lock:
            self._queue.append(block)
            self._queued += len(block)
            while self._queued > self._max and len(self._queue) > 1:
                self._queued -= len(self._queue.popleft())

    def _callback(self, outdata: Block, frames: int, _t: Any, status: Any) -> None:
        filled = 0
        with self._lock:
            while filled < frames and self._queue:
                head = self._queue[0]
                take = min(frames - filled, len(head))
                outdata[filled : filled + take] = head[:take]
                filled += take
                if take == len(head):
                    self._queue.popleft()
                else:
                    self._queue[0] = head[take:]
                self._queued -= take
        if filled < frames:
            outdata[filled:] = 0
            self.underflows += 1

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self._stream.stop()
        with contextlib.suppress(Exception):
            self._stream.close()
