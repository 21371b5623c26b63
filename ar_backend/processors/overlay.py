"""``overlay``: an optional fps/latency readout, an optional "AI-generated" label, and the
applied persona's label (bottom left)."""

from __future__ import annotations

import cv2
import numpy as np

from ar_backend.config import OverlayConfig, PipelineConfig
from ar_backend.frames import Frame
from ar_backend.processors.base import ProcessorContext, ProcessorResources, register


class OverlayProcessor:
    name = "overlay"

    def __init__(self, cfg: OverlayConfig) -> None:
        self.cfg = cfg
        self.persona_label = ""  # set by the studio between two frames (a persona applied)

    @staticmethod
    def _text(image: np.ndarray, text: str, org: tuple[int, int], scale: float) -> None:
        cv2.putText(image, text, org, cv2.FONT_HERSHEY_SIMPLEX, scale, (0, 0, 0), 4, cv2.LINE_AA)
        cv2.putText(
            image, text, org, cv2.FONT_HERSHEY_SIMPLEX, scale, (255, 255, 255), 1, cv2.LINE_AA
        )

    def process(self, frame: Frame, ctx: ProcessorContext) -> Frame:
        persona = self.persona_label
        if not (self.cfg.show_stats or self.cfg.ai_label or persona):
            return frame
        image = frame.image
        h, w = image.shape[:2]
        scale = max(0.4, w / 1600)
        if self.cfg.show_stats:
            text = f"{ctx.fps_out:4.1f} fps  {ctx.latency_p50_ms:5.1f} ms"
            self._text(image, text, (10, int(30 * scale / 0.5)), scale)
        if self.cfg.ai_label:
            (tw, _th), _ = cv2.getTextSize(self.cfg.label_text, cv2.FONT_HERSHEY_SIMPLEX, scale, 1)
            self._text(image, self.cfg.label_text, (w - tw - 12, h - 12), scale)
        if persona:
            self._text(image, persona, (12, h - 12), scale * 1.2)
        return frame

    def reconfigure(self, cfg: PipelineConfig) -> None:
        self.cfg = cfg.overlay

    def close(self) -> None:
        pass


@register("overlay")
def _make(cfg: PipelineConfig, resources: ProcessorResources) -> OverlayProcessor:
    return OverlayProcessor(cfg.overlay)
