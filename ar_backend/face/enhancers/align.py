"""Aligned face crops for the restorers, and pasting a restored crop back.

The conventions are facefusion's (read in facefusion/face_helper.py, face_masker.py and
processors/modules/face_enhancer.py), so the models get the crops they were converted for:

- the templates: the five keypoints' places in the crop, as fractions of its side
  (``WARP_TEMPLATES`` / ``WARP_TEMPLATE_SET`` in face_helper.py). ``ffhq_512`` is the FFHQ
  alignment GFPGAN and GPEN were trained on (facexlib's 512-pixel ``face_template`` in
  TencentARC/GFPGAN's ``FaceRestoreHelper`` is the same points times 512); facefusion's
  model set gives gpen_bfr_256 ``arcface_128`` and gfpgan_1.4 and gpen_bfr_512 ``ffhq_512``;
- the matrix: ``cv2.estimateAffinePartial2D`` (a similarity) from the five keypoints to the
  template scaled to the crop, RANSAC with a reprojection threshold of 100 px
  (``estimate_matrix_by_face_landmark_5``);
- the crop: ``cv2.warpAffine`` with BORDER_REPLICATE and INTER_AREA
  (``warp_face_by_face_landmark_5``);
- the mask: a box over the crop whose border (blur_amount // 2 wide) is zeroed, then blurred
  with sigma blur_amount / 4, where blur_amount = side * 0.5 * face_mask_blur and
  face_mask_blur defaults to 0.3 (``create_static_box_mask``; the default in facefusion's
  program.py);
- pasting back: the crop and the mask warped back with the inverse matrix, the crop over
  the frame under the mask (``paste_back``), then blended with the frame at the enhancer's
  blend (``blend_frame``: frame * (1 - blend) + pasted * blend), which here is ``strength``.

Unlike facefusion's paste_back, only the frame's rectangle around the warped crop is
warped and blended (the rest of a full-HD frame is not touched at all).
"""

from __future__ import annotations

from functools import lru_cache

import cv2
import numpy as np

from ar_backend.face.imaging import blend
from ar_backend.face.imaging.warp import crop_region

TEMPLATES: dict[str, np.ndarray] = {
    "arcface_128": np.array(
        [
            [0.36167656, 0.40387734],
            [0.63696719, 0.40235469],
            [0.50019687, 0.56044219],
            [0.38710391, 0.72160547],
            [0.61507734, 0.72034453],
        ],
        np.float64,
    ),
    "ffhq_512": np.array(
        [
            [0.37691676, 0.46864664],
            [0.62285697, 0.46912813],
            [0.50123859, 0.61331904],
            [0.39308822, 0.72541100],
            [0.61150205, 0.72490465],
        ],
        np.float64,
    ),
}
RANSAC_THRESHOLD = 100.0
MASK_BLUR = 0.3


def matrix_for(points: np.ndarray, template: str, size: int) -> np.ndarray | None:
    """The 2x3 similarity taking the five keypoints to ``template`` in a ``size`` crop;
    None when no transform fits (degenerate keypoints)."""
    target = TEMPLATES[template] * size
    matrix, _inliers = cv2.estimateAffinePartial2D(
        np.asarray(points, np.float64),
        target,
        method=cv2.RANSAC,
        ransacReprojThreshold=RANSAC_THRESHOLD,
    )
    if matrix is None or not np.all(np.isfinite(matrix)):
        return None
    return np.asarray(matrix, np.float64)


def crop(image: np.ndarray, matrix: np.ndarray, size: int) -> np.ndarray:
    """The aligned ``size`` x ``size`` face crop."""
    return cv2.warpAffine(
        image, matrix, (size, size), borderMode=cv2.BORDER_REPLICATE, flags=cv2.INTER_AREA
    )


@lru_cache(maxsize=8)
def box_mask(size: int, mask_blur: float = MASK_BLUR) -> np.ndarray:
    """The soft box mask over a ``size`` crop (0..1 float32; read only: it is shared)."""
    blur_amount = int(size * 0.5 * mask_blur)
    blur_area = max(blur_amount // 2, 1)
    box = np.ones((size, size), np.float32)
    box[:blur_area, :] = 0
    box[-blur_area:, :] = 0
    box[:, :blur_area] = 0
    box[:, -blur_area:] = 0
    mask = cv2.GaussianBlur(box, (0, 0), blur_amount * 0.25) if blur_amount > 0 else box
    out = np.asarray(mask, np.float32)
    out.setflags(write=False)
    return out


def paste(
    image: np.ndarray, face: np.ndarray, alpha: np.ndarray, matrix: np.ndarray
) -> tuple[int, int, int, int] | None:
    """Warp the crop ``face`` and its 0..1 ``alpha`` back into ``image`` (in place) and blend
    it there; pixels outside the warped crop's square are never touched. The rectangle
    changed (x0, y0, x1, y1), or None when the crop falls outside the frame."""
    region = crop_region(matrix, face.shape[0], image.shape)
    if region is None:
        return None
    (x0, y0, x1, y1), local = region
    out = (x1 - x0, y1 - y0)
    warped = cv2.warpAffine(face, local, out, borderMode=cv2.BORDER_REPLICATE)
    weight = cv2.warpAffine(alpha, local, out, borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    roi = image[y0:y1, x0:x1]
    blend.paste_feather(roi, warped, np.clip(weight, 0.0, 1.0))
    return x0, y0, x1, y1
