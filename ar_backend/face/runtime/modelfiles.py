"""Where the model files are: dlib's (inside the face_recognition_models package) and the
user's (the models folder; ``python -m ar_backend.weights fetch`` downloads those listed in
the model manifest), and dlib itself, imported on first use."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

DLIB_LANDMARKS_68 = "shape_predictor_68_face_landmarks.dat"
DLIB_LANDMARKS_5 = "shape_predictor_5_face_landmarks.dat"
DLIB_RECOGNITION = "dlib_face_recognition_resnet_model_v1.dat"


class ModelMissing(Exception):
    """A model file the engine needs is not where it should be (the message names it)."""


def dlib_models_dir() -> Path:
    """The folder of .dat files that face_recognition_models ships.

    Found without importing the package: its ``__init__`` imports ``pkg_resources``, which
    setuptools 81 and newer no longer ship.
    """
    spec = importlib.util.find_spec("face_recognition_models")
    if spec is None or not spec.submodule_search_locations:
        raise ModelMissing(
            "the face_recognition_models package is not installed (pip install -r requirements.txt)"
        )
    folder = Path(next(iter(spec.submodule_search_locations))) / "models"
    if not folder.is_dir():
        raise ModelMissing(f"face_recognition_models has no models folder at {folder}")
    return folder


def dlib_model(name: str) -> Path:
    path = dlib_models_dir() / name
    if not path.is_file():
        raise ModelMissing(f"{name} is missing from {path.parent}")
    return path


def missing_files(folder: Path, names: list[str]) -> list[str]:
    """The names in ``names`` that are not files in ``folder``."""
    return [n for n in names if not (folder / n).is_file()]


def dlib_module() -> Any:  # dlib has no type information
    """dlib, imported on first use: the backend starts without it when face swap is off."""
    import dlib

    return dlib
