"""Checking uploaded face images, the thumbnails the API answers with, grey images, PNG."""

from __future__ import annotations

import base64

import cv2
import numpy as np

from ar_backend.config import FaceConfig
from ar_backend.face.errors import BadImage, ImageTooLarge
from ar_backend.face.imaging.pixel_limit import SizeUnreadable, picture_size
from ar_backend.face.imaging.warp import clip_box
from shared.messages import Message, msg


def decode_image(data: bytes, *, max_bytes: int, max_side: int) -> np.ndarray:
    """A BGR image from uploaded bytes, or BadImage saying why not (ImageTooLarge over the
    limits: face.max_upload_mb, face.max_side).

    The dimensions are read from the header before anything is decoded, so a small file
    that claims a huge image is refused without allocating it.
    """
    if not data:
        raise BadImage("the image is empty")
    if len(data) > max_bytes:
        raise ImageTooLarge(image_too_large(len(data), max_bytes))
    try:
        size = picture_size(data, "the image")
    except SizeUnreadable as exc:
        raise BadImage(exc.keyed) from None
    if size is None:  # more pixels than Pillow will even describe
        raise ImageTooLarge(msg("face.image_claims_too_large", max_side=max_side))
    width, height = size
    if max(width, height) > max_side:
        raise ImageTooLarge(
            msg("face.image_too_large_side", width=width, height=height, max_side=max_side)
        )
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    if image is None or image.size == 0:
        raise BadImage("the image could not be decoded (JPEG, PNG, BMP or WebP expected)")
    return image


def decode_upload(data: bytes, cfg: FaceConfig) -> np.ndarray:
    """An uploaded face picture decoded within ``face.max_upload_mb`` and ``face.max_side``."""
    return decode_image(data, max_bytes=int(cfg.max_upload_mb * 1e6), max_side=cfg.max_side)


def image_too_large(size: int, max_bytes: int) -> Message:
    """The image of ``size`` bytes is over ``face.max_upload_mb`` (``max_bytes``)."""
    return msg(
        "face.image_too_large",
        size_mb=size / 1e6,
        limit_mb=max_bytes / 1e6,
        key="face.max_upload_mb",
    )


def face_thumbnail(image: np.ndarray, box: np.ndarray, side: int = 128) -> str:
    """A JPEG data URL of the face with some margin, ``side`` px on its longer side."""
    x0, y0, x1, y1 = clip_box(box, image.shape, margin=0.3)
    crop = image[y0:y1, x0:x1]
    scale = side / max(crop.shape[:2])
    crop = cv2.resize(crop, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    ok, jpeg = cv2.imencode(".jpg", crop, [cv2.IMWRITE_JPEG_QUALITY, 85])
    if not ok:
        return ""
    return "data:image/jpeg;base64," + base64.b64encode(jpeg.tobytes()).decode("ascii")


def box_json(box: np.ndarray) -> dict[str, int]:
    x1, y1, x2, y2 = (round(float(v)) for v in box)
    return {"x": x1, "y": y1, "width": x2 - x1, "height": y2 - y1}


def gray(image: np.ndarray) -> np.ndarray:
    """The image in grey (as it is when it already is)."""
    return image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)


def png(image: np.ndarray) -> bytes:
    """The image as PNG (lossless: the pixels as they are)."""
    ok, buf = cv2.imencode(".png", image)
    if not ok:
        raise ValueError("PNG encoding failed")
    return bytes(buf.tobytes())
