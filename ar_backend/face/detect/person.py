"""Person segmentation: MediaPipe's selfie segmentation on LiteRT, a mask of the people in a
frame (1 person, 0 background), used by the background (ar_backend/background) and by the
face's occlusion (what inside a face is not the person).

As MediaPipe's ``selfie_segmentation_cpu.pbtxt``: the whole frame is resized to the model's
input without keeping the aspect ratio (``keep_aspect_ratio: false``), RGB in [0, 1]; the
single output channel is already a probability (``activation: NONE``) and is resized back to
the frame. Two models: ``landscape`` (256x144, for frames wider than tall: the camera's) and
``general`` (256x256, for portrait or square frames).
"""

from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt

from ar_backend.face.detect.base import ModelFiles
from ar_backend.face.imaging.scale import area
from ar_backend.face.runtime.litert import LiteModel

Mask = npt.NDArray[np.float32]

LANDSCAPE = "mediapipe/selfie_segmentation_landscape.tflite"
GENERAL = "mediapipe/selfie_segmentation.tflite"
FILES = (LANDSCAPE, GENERAL)  # in the models folder (config/models.yaml: mediapipe_segmentation)


class PersonSegmenter:
    """Both models, from the verified model files; :meth:`mask` picks the one the frame's
    shape suits. One run at a time per model (LiteModel holds its lock)."""

    def __init__(self, files: ModelFiles) -> None:
        self.landscape = LiteModel(files.path(LANDSCAPE), files.threads)
        self.general = LiteModel(files.path(GENERAL), files.threads)

    def model_for(self, width: int, height: int) -> LiteModel:
        return self.landscape if width > height else self.general

    def mask(self, image: npt.NDArray[np.uint8], size: tuple[int, int] | None = None) -> Mask:
        """The person probability (0..1) for every pixel of ``image`` (BGR), at ``size``
        (width, height; the image's own by default)."""
        h, w = image.shape[:2]
        model = self.model_for(w, h)
        mw, mh = model.input_size
        small = area(image, (mw, mh))  # (as INTER_AREA, fast whatever the size)
        rgb = cv2.cvtColor(small, cv2.COLOR_BGR2RGB).astype(np.float32) * (1.0 / 255.0)
        out = model.run(rgb[None])[0].reshape(mh, mw)
        prob = np.clip(out, 0.0, 1.0).astype(np.float32)
        target = size or (w, h)
        return np.asarray(cv2.resize(prob, target, interpolation=cv2.INTER_LINEAR), np.float32)
