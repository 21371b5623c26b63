"""A processor that fails on every frame is logged once, not 30 times a second: its error is
shown in the pipeline's stats until it processes a frame again (shared.logs.FaultLatch)."""

from __future__ import annotations

import logging
import time

import numpy as np
import pytest

from ar_backend.frames import Frame
from ar_backend.pipeline import Pipeline
from ar_backend.processors import ProcessorContext

FRAMES_FAILING = 40


class StillSource:
    kind = label = "still"
    fps = 200.0
    opens_slowly = False

    def open(self) -> None: ...

    def read(self) -> np.ndarray:
        time.sleep(1 / self.fps)
        return np.zeros((8, 8, 3), np.uint8)

    def close(self) -> None: ...


class Flaky:
    name = "flaky"

    def __init__(self) -> None:
        self.failing = True
        self.calls = 0

    def process(self, frame: Frame, ctx: ProcessorContext) -> Frame:
        self.calls += 1
        if self.failing:
            raise RuntimeError("lens cap on")
        return frame

    def close(self) -> None: ...


def wait_for(predicate, timeout: float = 10.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


@pytest.mark.expect_errors("processor flaky failed")
def test_a_processor_failing_every_frame_is_logged_once_and_shown_until_it_recovers(
    caplog: pytest.LogCaptureFixture,
) -> None:
    flaky = Flaky()
    pipe = Pipeline([flaky])
    with caplog.at_level(logging.INFO, logger="ar_backend.pipeline"):
        pipe.start(StillSource())
        try:
            wait_for(lambda: flaky.calls >= FRAMES_FAILING)
            stats = pipe.stats()
            assert stats.processor_errors == {"flaky": "RuntimeError: lens cap on"}
            assert stats.frames_out >= FRAMES_FAILING - 1  # frames pass it unchanged
            flaky.failing = False
            calls = flaky.calls
            wait_for(lambda: flaky.calls >= calls + 5)
            assert pipe.stats().processor_errors == {}
        finally:
            pipe.close()
    tracebacks = [r for r in caplog.records if r.exc_info]
    assert len(tracebacks) == 1, [r.getMessage() for r in tracebacks]
    assert "lens cap on" in str(tracebacks[0].exc_info[1])  # type: ignore[index]
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 2, errors  # the fault, and its traceback, once
    assert any("processor flaky recovered" in r.getMessage() for r in caplog.records)
