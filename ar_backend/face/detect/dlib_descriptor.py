"""dlib's face-recognition descriptor: 128 numbers per face, two photos of one person under
0.6 apart (Euclidean). The classic engine tells people apart by it (reference person, face
map) and the quality measures score identity by it (face/imaging/quality.py)."""

from __future__ import annotations

import threading
from typing import Any

import numpy as np

from ar_backend.face.runtime.modelfiles import (
    DLIB_LANDMARKS_5,
    DLIB_RECOGNITION,
    dlib_model,
    dlib_module,
)


class DlibDescriptor:
    """The models load on first use (they take a second; most sessions never need them)."""

    def __init__(self) -> None:
        self._recognizer: Any = None
        self._predictor5: Any = None
        self._lock = threading.Lock()

    def embedding(self, image: np.ndarray, box: np.ndarray) -> np.ndarray:
        """The 128-d descriptor of the face in ``box``."""
        dlib = dlib_module()
        with self._lock:
            if self._recognizer is None:
                self._predictor5 = dlib.shape_predictor(str(dlib_model(DLIB_LANDMARKS_5)))
                self._recognizer = dlib.face_recognition_model_v1(str(dlib_model(DLIB_RECOGNITION)))
        x1, y1, x2, y2 = (round(float(v)) for v in box)
        rgb = np.ascontiguousarray(image[:, :, ::-1])
        shape = self._predictor5(rgb, dlib.rectangle(x1, y1, x2, y2))
        return np.array(self._recognizer.compute_face_descriptor(rgb, shape, 0), np.float64)
