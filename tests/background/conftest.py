"""Background fixtures: the person segmentation model files (real, from the models folder
``python -m ar_backend.weights fetch`` fills), a picture to use as a backdrop, and a frame with a
person in it."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from ar_backend.config import FaceConfig
from ar_backend.face import samples
from ar_backend.face.detect import person
from ar_backend.face.detect.base import ModelFiles, model_files
from tests.backend.conftest import make_studio, media  # noqa: F401  (fixtures)
from tests.conftest import require_or_skip


@pytest.fixture(scope="session")
def person_files() -> ModelFiles:
    """The verified person segmentation files in the models folder, or a skip (CI: a
    failure)."""
    files = model_files(FaceConfig())
    problem = files.problem(person.FILES)
    if problem:
        require_or_skip(problem)
    return files


def portrait(size: tuple[int, int] = (640, 480)) -> np.ndarray:
    """scikit-image's astronaut as a webcam frame: head and shoulders, a flag behind."""
    w, h = size
    image = cv2.resize(samples.astronaut(), (w, w))
    top = (w - h) // 2
    return np.ascontiguousarray(image[top : top + h])


def backdrop_picture(path: Path) -> Path:
    """A real picture (scikit-image's rocket) written as a media file."""
    from skimage import data

    path.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(path), cv2.cvtColor(data.rocket(), cv2.COLOR_RGB2BGR))
    return path
