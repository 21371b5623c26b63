"""Face pictures that ship inside installed packages (for tests, benchmarks and demos).

- ``group``: insightface's data/images/t1.jpg, six people round a table (1280x886).
- ``astronaut``: scikit-image's portrait of Eileen Collins (512x512).
- ``tom_hanks``: insightface's aligned 112x112 face (a small source).

``liveclip.py`` makes a live clip with its ground truth from the astronaut's head.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import cv2
import numpy as np


def _insightface_image(name: str) -> np.ndarray:
    spec = importlib.util.find_spec("insightface")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("insightface is not installed; its sample images come with it")
    path = Path(next(iter(spec.submodule_search_locations))) / "data" / "images" / name
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if image is None:
        raise FileNotFoundError(path)
    return image


def group() -> np.ndarray:
    return _insightface_image("t1.jpg")


def tom_hanks() -> np.ndarray:
    return _insightface_image("Tom_Hanks_54745.png")


def astronaut() -> np.ndarray:
    from skimage import data

    return cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2BGR)


def encode(image: np.ndarray, ext: str = ".jpg") -> bytes:
    ok, buf = cv2.imencode(ext, image)
    if not ok:
        raise ValueError("encode failed")
    return buf.tobytes()
