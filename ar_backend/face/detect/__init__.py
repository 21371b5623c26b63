"""Face and hand detectors and landmarkers, one file each, registered by name (base.py):
MediaPipe's BlazeFace (``blazeface.py``), face mesh (``face_mesh.py``, and its 68-point view
``mesh68.py``), palm detector (``palm.py``) and hand landmarker (``hand.py``) on LiteRT,
sharing the SSD decoding (``ssd.py``) and the landmark regions (``roi.py``)."""

from ar_backend.face.detect import blazeface, face_mesh, hand, palm
from ar_backend.face.detect.base import (
    FACE_DETECTORS,
    FACE_LANDMARKERS,
    HAND_DETECTORS,
    HAND_LANDMARKERS,
    Detector,
    Found,
    Landmarker,
    Landmarks,
    ModelFiles,
    RunnerType,
    model_files,
    unavailable,
)

__all__ = [
    "FACE_DETECTORS",
    "FACE_LANDMARKERS",
    "HAND_DETECTORS",
    "HAND_LANDMARKERS",
    "Detector",
    "Found",
    "Landmarker",
    "Landmarks",
    "ModelFiles",
    "RunnerType",
    "blazeface",
    "face_mesh",
    "hand",
    "model_files",
    "palm",
    "unavailable",
]
