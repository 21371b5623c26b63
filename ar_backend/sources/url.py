"""RTSP, HTTP and other network streams through OpenCV's FFmpeg backend, with timeouts."""

from __future__ import annotations

import cv2

from ar_backend.config import CameraConfig
from ar_backend.face.imaging.pixel_limit import PixelLimit
from ar_backend.sources.base import SourceError, SourceSpec, network_url, redact_url, register
from ar_backend.sources.device import CaptureSource


class UrlSource(CaptureSource):
    """A network stream. ``open()`` may take up to ``camera.open_timeout`` seconds (a host
    that never answers), so the studio calls it on the capture thread, never on a request's."""

    kind = "url"
    opens_slowly = True

    def __init__(
        self, spec: SourceSpec, cfg: CameraConfig, limit: PixelLimit | None = None
    ) -> None:
        super().__init__(spec, cfg, limit)
        self.url = network_url(spec.target)  # checked again: no path or FFmpeg protocol
        self.label = f"url {redact_url(self.url)}"

    def _capture(self) -> cv2.VideoCapture:
        ms = round(self.cfg.open_timeout * 1000)
        # FFmpeg only (no image-sequence or other backend reads the string as a path), and
        # bounded: OpenCV's interrupt callback ends a connect or read that hangs
        timeouts = [cv2.CAP_PROP_OPEN_TIMEOUT_MSEC, ms, cv2.CAP_PROP_READ_TIMEOUT_MSEC, ms]
        return cv2.VideoCapture(self.url, cv2.CAP_FFMPEG, timeouts)

    def _open_failed(self) -> SourceError:
        return SourceError(
            f"{self.label} does not open within {self.cfg.open_timeout:g} s (no stream there, "
            "wrong address, or the host does not answer)"
        )


@register("url")
def _url(spec: SourceSpec, cfg: CameraConfig, limit: PixelLimit) -> UrlSource:
    return UrlSource(spec, cfg, limit)
