"""A/V sync and the voice from the video source, in process: the delay line, the offset it
follows, and the engine taking a source's sound as its input with no sound device."""

from __future__ import annotations

import time

import numpy as np
import pytest

from ar_backend.audio.engine import AudioEngine
from ar_backend.audio.sync import AvSync, DelayLine
from ar_backend.config import AudioConfig
from ar_backend.sources.sound import SourceSound
from tests.procs import wait_for

RATE = 48000


def test_the_delay_line_delays_by_the_offset_and_changes_without_a_jump() -> None:
    line = DelayLine(RATE, 1)
    click = np.zeros((RATE, 1), np.float32)
    click[1000] = 1.0
    out = np.concatenate([line.process(click[i : i + 480], 40.0) for i in range(0, RATE, 480)])
    assert int(np.argmax(out[:, 0])) == 1000 + 40 * 48  # after the first block's cross-fade
    tone = (0.5 * np.sin(2 * np.pi * 200 * np.arange(RATE) / RATE)).astype(np.float32)[:, None]
    line = DelayLine(RATE, 1)
    steps = []
    for k, i in enumerate(range(0, RATE, 480)):
        delay = 0.0 if k < 50 else 25.0  # the offset changes mid-stream
        steps.append(line.process(tone[i : i + 480], delay))
    y = np.concatenate(steps)[:, 0]
    assert np.abs(np.diff(y)).max() <= np.abs(np.diff(tone[:, 0])).max() * 1.05  # no click


def test_av_sync_follows_the_difference_smoothed_and_can_be_off_or_fixed() -> None:
    sync = AvSync("auto")
    for _ in range(20):
        sync.update(video_ms=80.0, voice_ms=30.0)
    assert sync.offset_ms == pytest.approx(50.0, abs=0.5)
    first = AvSync("auto").update(video_ms=80.0, voice_ms=30.0)
    assert 0 < first < 50  # smoothed: one second's measure moves it part of the way
    assert AvSync("auto").update(video_ms=10.0, voice_ms=30.0) == 0.0  # never negative
    assert AvSync("off").update(video_ms=80.0, voice_ms=30.0) == 0.0
    assert AvSync(120.0).update(video_ms=80.0, voice_ms=30.0) == 120.0
    assert AvSync("auto").status()["av_offset_ms"] == 0.0


def test_the_engine_takes_the_sources_sound_as_its_voice_without_a_sound_device() -> None:
    cfg = AudioConfig(effects=[{"type": "gain", "params": {"db": -6}}])
    sound = SourceSound(RATE, 1)
    engine = AudioEngine(cfg, sound)
    got: list[tuple[np.ndarray, float]] = []
    engine.tap = lambda block, at: got.append((block, at))
    status = engine.start({"input_device": "source"})
    try:
        assert status.state == "running" and status.input_device == "source"
        # no sound card here: the output side says so and the voice still reaches the tap
        assert status.output_error is None or "recordings only" in status.output_error
        sound.attach("file clip.mp4")
        t0 = time.monotonic()
        tone = np.full((4800, 1), 0.5, np.float32)
        for k in range(5):
            sound.publish(tone, t0 + k * 0.1)
        wait_for(lambda: len(got) >= 50, timeout=10)
    finally:
        engine.stop()
    assert engine.status().state == "stopped"
    blocks = got[:50]
    assert all(len(b) == cfg.block_size for b, _ in blocks)
    assert np.allclose(blocks[10][0], 0.5 * 10 ** (-6 / 20), atol=1e-3)  # the chain ran
    stamps = np.array([at for _, at in blocks])
    assert np.allclose(np.diff(stamps), cfg.block_size / RATE, atol=1e-6)  # one clock
    assert stamps[0] == pytest.approx(t0, abs=1e-6)
