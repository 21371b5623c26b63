"""RTSP and HTTP streams through OpenCV (FFmpeg)."""

from __future__ import annotations

from ar_backend.config import CameraConfig
from ar_backend.sources.base import SourceSpec, register
from ar_backend.sources.device import CaptureSource


class UrlSource(CaptureSource):
    kind = "url"

    def __init__(self, spec: SourceSpec, cfg: CameraConfig) -> None:
        super().__init__(spec, cfg)
        self.label = f"url {spec.target}"

    def _target(self) -> str:
        return self.spec.target


@register("url")
def _url(spec: SourceSpec, cfg: CameraConfig) -> UrlSource:
    return UrlSource(spec, cfg)
