"""``burn``: spends a fixed number of milliseconds per frame (for benchmarks and tests).

It stands in for a processor of known cost (a face swap, say) so the pipeline's behaviour
under load can be measured: fps out, drops, latency.
"""

from __future__ import annotations

import time

from ar_backend.config import PipelineConfig
from ar_backend.frames import Frame
from ar_backend.processors.base import ProcessorContext, register


class BurnProcessor:
    name = "burn"

    def __init__(self, ms: float) -> None:
        self.ms = ms

    def process(self, frame: Frame, ctx: ProcessorContext) -> Frame:
        end = time.perf_counter() + self.ms / 1000
        while time.perf_counter() < end:  # busy, like real work (sleep would free the CPU)
            pass
        return frame

    def close(self) -> None:
        pass


@register("burn")
def _make(cfg: PipelineConfig) -> BurnProcessor:
    return BurnProcessor(cfg.burn_ms)
