"""Face and hand detectors and landmarkers, one file each, registered by name (base.py):
dlib's HOG detector (``dlib_hog.py``) and 68 landmarks (``dlib68.py``), with pip; MediaPipe's
BlazeFace (``blazeface.py``), face mesh (``face_mesh.py``, and its 68-point view
``mesh68.py``), palm detector (``palm.py``) and hand landmarker (``hand.py``) on LiteRT,
sharing the SSD decoding (``ssd.py``) and the landmark regions (``roi.py``).

Not chosen by name: insightface's SCRFD (``scrfd.py``) comes inside the analysis pack and is
opened with its recognizer by the engines that use the pack; dlib's face descriptor
(``dlib_descriptor.py``: who a face is) is the classic engine's."""

from ar_backend.face.detect import blazeface, dlib68, dlib_hog, face_mesh, hand, palm
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
    create_runner,
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
    "create_runner",
    "dlib68",
    "dlib_hog",
    "face_mesh",
    "hand",
    "model_files",
    "palm",
    "unavailable",
]
