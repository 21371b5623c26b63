"""``burn``: spends a fixed number of milliseconds per frame (for benchmarks and tests).

It stands in for a processor of known cost (a face swap, say) so the pipeline's behaviour
under load can be measured: fps out, drops, latency. The time goes into OpenCV calls, as in
a real processor (OpenCV, dlib and onnxruntime release Python's GIL while they work), so the
rest of the process keeps answering meanwhile.
"""

from __future__ import annotations

import time

import cv2
import numpy as np

from ar_backend.config import PipelineConfig
from ar_backend.frames import Frame
from ar_backend.processors.base import ProcessorContext, ProcessorResources, register


class BurnProcessor:
    name = "burn"

    def __init__(self, ms: float) -> None:
        self.ms = ms
        self._work = np.random.default_rng(0).integers(0, 255, (240, 320, 3), dtype=np.uint8)

    def process(self, frame: Frame, ctx: ProcessorContext) -> Frame:
        end = time.perf_counter() + self.ms / 1000
        while time.perf_counter() < end:  # real CPU work (a sleep would free the core)
            cv2.GaussianBlur(self._work, (7, 7), 0)
        return frame

    def close(self) -> None:
        pass


@register("burn")
def _make(cfg: PipelineConfig, resources: ProcessorResources) -> BurnProcessor:
    return BurnProcessor(cfg.burn_ms)
