"""The live path's parts without a server: specs, the frame slot, processors, the pipeline."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest

from ar_backend.config import CameraConfig, OverlayConfig, PipelineConfig
from ar_backend.frames import Frame, LatestSlot
from ar_backend.pipeline import Pipeline
from ar_backend.processors import ProcessorContext, make_processor
from ar_backend.processors.overlay import OverlayProcessor
from ar_backend.sources import BadSpec, SourceError, SourceSpec, make_source, parse_spec
from tests.backend.conftest import write_clip
from tests.procs import wait_for


@pytest.mark.parametrize(
    ("spec", "kind", "target"),
    [
        (0, "device", "0"),
        ("2", "device", "2"),
        ("device:1", "device", "1"),
        ("clip.mp4", "file", "clip.mp4"),
        ("file:weird.png", "file", "weird.png"),
        ("face.PNG", "image", "face.PNG"),
        ("rtsp://cam.local/stream", "url", "rtsp://cam.local/stream"),
        ("http://127.0.0.1:5501/video_feed", "url", "http://127.0.0.1:5501/video_feed"),
        ("demo", "demo", ""),
        ("auto", "auto", ""),
    ],
)
def test_parse_spec(spec, kind: str, target: str) -> None:
    assert parse_spec(spec) == SourceSpec(kind, target)


@pytest.mark.parametrize("spec", ["", "   ", "device:x", True])
def test_bad_specs(spec) -> None:
    with pytest.raises(BadSpec):
        parse_spec(spec)


def test_missing_file_says_so(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="not found"):
        make_source(parse_spec(str(tmp_path / "none.mp4")), CameraConfig()).open()


def frame(seq: int) -> Frame:
    return Frame(image=np.zeros((4, 4, 3), np.uint8), seq=seq, captured=time.monotonic())


def test_slot_overwrites_and_counts_drops() -> None:
    slot = LatestSlot()
    for seq in range(1, 6):
        slot.put(frame(seq))
    got = slot.take(0.1)
    assert got is not None and got.seq == 5  # the newest, never a queue
    assert slot.dropped == 4
    assert slot.take(0.05) is None  # nothing new
    assert slot.wait_newer(4, 0.05).seq == 5  # many readers: newest above what they have
    assert slot.wait_newer(5, 0.05) is None


def test_overlay_draws_only_what_is_asked() -> None:
    ctx = ProcessorContext(fps_out=29.9, latency_p50_ms=12.0)
    plain = OverlayProcessor(OverlayConfig()).process(frame(1), ctx)
    assert not plain.image.any()
    labelled = Frame(np.zeros((240, 320, 3), np.uint8), 1, time.monotonic())
    OverlayProcessor(OverlayConfig(ai_label=True)).process(labelled, ctx)
    assert labelled.image[200:, 160:].any()  # the label sits bottom right
    assert not labelled.image[:60, :160].any()  # no stats readout unless asked
    stats = Frame(np.zeros((240, 320, 3), np.uint8), 1, time.monotonic())
    OverlayProcessor(OverlayConfig(show_stats=True)).process(stats, ctx)
    assert stats.image[:60, :200].any()


def test_slow_processing_drops_stale_frames_and_never_queues(tmp_path: Path) -> None:
    clip = write_clip(tmp_path / "c.mp4", frames=60)
    cfg = PipelineConfig(processors=["burn"], burn_ms=60)  # ~16 fps of work on a 30 fps source
    pipe = Pipeline([make_processor("burn", cfg)])
    source = make_source(parse_spec(str(clip)), CameraConfig())
    source.open()
    pipe.start(source)
    try:
        # the source outruns the processor: wait until it is well ahead
        stats = wait_for(
            lambda: (s := pipe.stats()).frames_out >= 5 and s.frames_in > s.frames_out + 20 and s,
            timeout=30,
        )
    finally:
        pipe.close()
    # nothing queues: every frame the processor never took was dropped, and counted (but
    # one being captured, one in the slot and one being processed)
    assert stats.dropped_frames >= stats.frames_in - stats.frames_out - 3
    assert stats.latency_ms.p95 is not None  # the latency is reported
    # (how long it is, against one processing time plus a frame, is a benchmark figure:
    # benchmarks/pipeline.py --in-process prints it; a loaded machine must not fail a test)
    assert stats.stage_ms["burn"] >= 59  # a lower bound: the burn takes at least 60 ms


def test_each_stage_is_timed_in_wall_and_cpu_ms(tmp_path: Path) -> None:
    """Status says where a frame's time goes: the source's decoding, the wait for the
    process thread, each processor, in wall-clock ms (mean, p95) and its thread's CPU ms."""
    clip = write_clip(tmp_path / "c.mp4", frames=30)
    cfg = PipelineConfig(processors=["burn", "none"], burn_ms=15)
    pipe = Pipeline([make_processor("burn", cfg), make_processor("none", cfg)])
    source = make_source(parse_spec(str(clip)), CameraConfig())
    source.open()
    pipe.start(source)
    try:
        stages = wait_for(lambda: pipe.stats().frames_out >= 5 and pipe.stats().stages, timeout=30)
    finally:
        pipe.close()
    assert {"capture", "wait", "burn", "none"} <= set(stages)
    burn = stages["burn"]
    assert burn.ms >= 14.9 and burn.p95_ms >= burn.ms * 0.5
    # the burn is real work on its thread: some CPU, never more than the time it took
    assert burn.cpu_ms is not None and 0 < burn.cpu_ms <= burn.ms * 1.05 + 1
    assert (stages["capture"].cpu_ms or 0) > 0  # decoding costs the capture thread CPU
    assert stages["wait"].cpu_ms is None  # a wait spends none: not measured
    assert (stages["none"].cpu_ms or 0) < burn.cpu_ms


def test_image_source_is_a_still_stream_at_the_configured_rate(tmp_path: Path) -> None:
    import cv2

    path = tmp_path / "face.png"
    cv2.imwrite(str(path), np.full((120, 160, 3), 200, np.uint8))
    source = make_source(parse_spec(str(path)), CameraConfig(fps=20))
    source.open()
    try:
        started = time.monotonic()
        frames = [source.read() for _ in range(10)]
        elapsed = time.monotonic() - started
    finally:
        source.close()
    assert all(f is not None and f.shape == (120, 160, 3) for f in frames)
    assert frames[0] is not frames[1]  # a copy each time: processors may draw on it
    assert elapsed >= 9 / 20 * 0.9  # paced, not as fast as it can


def test_demo_source_moves(tmp_path: Path) -> None:
    source = make_source(parse_spec("demo"), CameraConfig(width=320, height=240, fps=30))
    source.open()
    try:
        first = source.read()
        for _ in range(15):
            last = source.read()
    finally:
        source.close()
    assert first.shape == (240, 320, 3)
    assert np.abs(first.astype(int) - last.astype(int)).mean() > 1  # a live picture


def _square_frame(image: np.ndarray, frames: int) -> int:
    """Which frame of write_clip's clip this is, from where its yellow square stands."""
    h, w = image.shape[:2]
    row = image[h // 2]
    yellow = np.flatnonzero((row[:, 1] > 180) & (row[:, 2] > 180))
    return round(int(yellow[0]) * (frames - 1) / (w - 40))


def test_a_file_says_which_of_its_frames_it_read_when_it_skips_to_keep_its_clock(
    tmp_path: Path,
) -> None:
    """A file plays in real time: late by many frames, it skips to its clock. The frame it
    reads then says its own index in the file (the pipeline stamps it on the frame and the
    preview sends it as X-Source-Frame), so a viewer comparing output with the file's
    frames matches the right ones."""
    clip = write_clip(tmp_path / "c.mp4", frames=60)
    source = make_source(parse_spec(str(clip)), CameraConfig())
    source.open()
    try:
        image = source.read()
        assert image is not None and source.position == 0 == _square_frame(image, 60)
        time.sleep(0.5)  # about 15 frames late at 30 fps
        image = source.read()
        assert image is not None and source.position is not None
        assert source.position >= 10, source.position  # it skipped ahead
        assert abs(_square_frame(image, 60) - source.position) <= 1
    finally:
        source.close()


class Preparing:
    """A processor with a prepare step that takes ``prepare_ms`` and a process step that takes
    ``process_ms`` (busy waits), recording which thread ran each on which frame."""

    name = "preparing"

    def __init__(self, prepare_ms: float, process_ms: float) -> None:
        self.prepare_ms, self.process_ms = prepare_ms, process_ms
        self.prepared: dict[int, str] = {}
        self.processed: dict[int, tuple[str, str | None]] = {}

    @staticmethod
    def _busy(ms: float) -> None:
        end = time.perf_counter() + ms / 1000
        while time.perf_counter() < end:
            pass

    def prepare(self, frame: Frame, ctx: ProcessorContext) -> None:
        import threading

        self._busy(self.prepare_ms)
        self.prepared[frame.seq] = threading.current_thread().name
        frame.meta["ready"] = frame.seq

    def process(self, frame: Frame, ctx: ProcessorContext) -> Frame:
        import threading

        if "ready" not in frame.meta:  # (no prepare thread: done here)
            self.prepare(frame, ctx)
        self._busy(self.process_ms)
        self.processed[frame.seq] = (threading.current_thread().name, self.prepared[frame.seq])
        return frame

    def close(self) -> None:
        pass


@pytest.mark.parametrize("overlap", [True, False])
def test_a_prepare_step_runs_a_frame_ahead_on_its_own_thread(tmp_path: Path, overlap) -> None:
    """With overlap, a processor's prepare step runs on the pipeline's prepare thread and its
    process step on the process thread, each frame prepared once and handed on with what it
    found; a frame is prepared only when the process thread will take it (none is prepared and
    then replaced unread while the source outruns them). Without, both run on the process
    thread."""
    clip = write_clip(tmp_path / "c.mp4", frames=60)
    proc = Preparing(prepare_ms=15, process_ms=40)  # ~25 fps of work on a 30 fps source
    pipe = Pipeline([proc], overlap=overlap)  # type: ignore[list-item]
    source = make_source(parse_spec(str(clip)), CameraConfig())
    source.open()
    pipe.start(source)
    try:
        stats = wait_for(lambda: (s := pipe.stats()).frames_out >= 12 and s, timeout=30)
    finally:
        pipe.close()
    threads = {thread for thread, _ in proc.processed.values()}
    prepared_on = {proc.prepared[seq] for seq in proc.processed}
    assert threads == {"process"}
    assert prepared_on == ({"prepare"} if overlap else {"process"})
    assert pipe.prepared.dropped == 0  # none prepared for nothing
    assert len(proc.prepared) <= len(proc.processed) + 2  # (one in hand, one prepared)
    if overlap:
        assert {"wait", "preparing.prepare", "handoff", "preparing"} <= set(stats.stages)


def test_opencv_gets_the_cores_the_live_path_leaves() -> None:
    """``pipeline.opencv_threads`` 0: on two cores OpenCV works on the calling thread alone
    (its pool only added waiting beside the process, prepare and occlusion threads), on eight
    it keeps five workers; a number set is taken as it is, and the config refuses nonsense."""
    from ar_backend.__main__ import opencv_threads

    assert opencv_threads(0, 2) == 1
    assert opencv_threads(0, None) == 1
    assert opencv_threads(0, 8) == 5
    assert opencv_threads(4, 2) == 4
    with pytest.raises(ValueError, match="opencv_threads"):
        PipelineConfig(opencv_threads=-1)
