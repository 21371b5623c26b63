"""Video files the benchmarks compare frame by frame."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np


def read_frames(path: Path) -> list[np.ndarray]:
    """Every frame of a video file, decoded by OpenCV (the same decoder as the file source,
    so untouched pixels compare equal)."""
    cap = cv2.VideoCapture(str(path))
    frames = []
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        frames.append(frame)
    cap.release()
    return frames
