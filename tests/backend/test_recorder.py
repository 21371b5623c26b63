"""The recorder in process: frames stamped with their capture time and the voice with its
own, H.264 + AAC, renamed from ``.partial.mp4`` when finished, a flash and its click together
in the file."""

from __future__ import annotations

import time
from pathlib import Path

import av
import numpy as np
import pytest

from ar_backend.frames import Frame, LatestSlot
from ar_backend.outputs.avclip import measure_take
from ar_backend.outputs.recorder import Recorder

pytestmark = pytest.mark.slow

FPS = 30


def test_a_recording_has_the_voice_in_sync_and_the_takes_length(tmp_path: Path) -> None:
    slot = LatestSlot()
    path = tmp_path / "take.mp4"
    recorder = Recorder(slot, path, FPS, (320, 240), audio=(48000, 1))
    assert recorder.status().writing == "take.partial.mp4"
    t0 = time.monotonic()
    for i in range(45):  # 1.5 s, a flash at 1 s with a click captured with it
        now = t0 + i / FPS
        while time.monotonic() < now:
            time.sleep(0.002)
        lit = 235 if i in (30, 31, 32) else 20
        slot.put(Frame(np.full((240, 320, 3), lit, np.uint8), i + 1, now))
        block = np.zeros((1600, 1), np.float32)
        if i == 30:
            block[:240, 0] = 0.8 * np.sin(np.arange(240) / 3) * np.hanning(240)
        recorder.add_audio(block, now)
    taken = time.monotonic() - t0  # (the encoder finishing after, below the live path)
    recorder.stop()
    status = recorder.status()
    assert status.error is None and status.file == "take.mp4", status
    assert path.exists() and not (tmp_path / "take.partial.mp4").exists()
    with av.open(str(path)) as container:
        assert container.streams.video[0].codec_context.name == "h264"
        assert container.streams.audio[0].codec_context.name == "aac"
    got = measure_take(path, period=1.0)
    assert got.video_seconds == pytest.approx(taken, abs=0.5)
    assert len(got.offsets_ms) == 1 and abs(got.offsets_ms[0]) <= 10, got
