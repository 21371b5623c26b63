"""Hair over the forehead: where the forehead band is not skin, the swap leaves it alone.

The classic engine pastes the source's texture up to six points grown above the brows
(``geometry.with_forehead``). On most photos those points reach the hairline: a source's
fringe was pasted onto the target's forehead, and the low-frequency light transfer then turned
the dark fringe's edge into a bright line across the forehead; a target's own fringe was
painted over with skin. So in the band between the brows and the forehead points, pixels whose
colour is far from the face's skin (sampled under the eyes, beside the nose) are left out of
the paste, on the source's side (its texture carries an alpha channel) and on the target's.
Everywhere else in the face the mask is unchanged: brows, eyes and mouth are not skin-coloured
and are still the source's. On the face mesh (:func:`mesh_not_skin`) the band reaches the
mesh's top, the hairline. A pixel lighter than the skin counts as skin unless its hue is
another (a shiny forehead is not hair; a dark fringe or a blond one is).
"""

from __future__ import annotations

import cv2
import numpy as np

from ar_backend.face.imaging import geometry

SAMPLE = np.array([1, 2, 3, 31, 33, 35, 13, 14, 15, 29])  # cheeks and nose: the skin sample
SPREAD_FLOOR = np.array([14.0, 5.0, 6.0])  # L, a, b: skin's spread is at least this
FAR = 3.2  # in spreads: farther than this from the skin's colour is not skin
# the forehead band and the temples: up the jaw's top, over the forehead points, back along
# the brows (on most photos the hair reaches down beside the eyes too)
WORK_PX = 120  # the face's size the mask is worked out at
BAND = np.concatenate([[0], np.arange(68, 74), [16], geometry.BROWS[::-1]])


def band_polygon(points74: np.ndarray) -> np.ndarray:
    """The forehead band and temples: above the brows, out to the jaw's top points."""
    return np.asarray(points74[BAND], np.float64)


def not_skin(image: np.ndarray, points74: np.ndarray) -> np.ndarray:
    """A uint8 mask over ``image``: 255 where the forehead band is not skin (hair, a hat,
    a hand), 0 elsewhere. ``image`` and ``points74`` share their pixels (an ROI and local
    points). Only the box round the band and the skin sample is looked at."""
    size = geometry.box_size(geometry.box_of(points74[:68]))
    return not_skin_in(image, band_polygon(points74), points74[SAMPLE], size)


def not_skin_in(image: np.ndarray, band: np.ndarray, sample: np.ndarray, size: float) -> np.ndarray:
    """:func:`not_skin` for any layout of points: 255 where the polygon ``band`` is not skin,
    the skin's colour taken inside the hull of the ``sample`` points (cheeks, nose); ``size``:
    the face's size in pixels."""
    h, w = image.shape[:2]
    out = np.zeros((h, w), np.uint8)
    used = np.vstack([band, sample])
    x0, y0 = np.clip(np.floor(used.min(axis=0)).astype(int), 0, [w, h])
    x1, y1 = np.clip(np.ceil(used.max(axis=0)).astype(int) + 1, 0, [w, h])
    if x1 - x0 < 4 or y1 - y0 < 4:
        return out
    # at most WORK_PX across the face: a fringe is a region, and this runs every frame
    scale = min(1.0, WORK_PX / max(size, 1.0))
    part = image[y0:y1, x0:x1]
    small = (max(4, round((x1 - x0) * scale)), max(4, round((y1 - y0) * scale)))
    if scale < 1.0:
        part = cv2.resize(part, small, interpolation=cv2.INTER_AREA)
    origin = np.array([x0, y0])
    in_band_img = np.zeros(part.shape[:2], np.uint8)
    cv2.fillPoly(in_band_img, [np.round((band - origin) * scale).astype(np.int32)], 255)
    in_sample_img = np.zeros(part.shape[:2], np.uint8)
    hull = cv2.convexHull(np.round((sample - origin) * scale).astype(np.int32))
    cv2.fillConvexPoly(in_sample_img, hull, 255)
    in_band, in_sample = in_band_img > 0, in_sample_img > 0
    if np.count_nonzero(in_sample) < 16 or not in_band.any():
        return out

    def lab(where: np.ndarray) -> np.ndarray:  # only the pixels needed, as an N x 1 image
        return cv2.cvtColor(part[where][:, None, :], cv2.COLOR_BGR2LAB)[:, 0].astype(np.float32)

    skin = lab(in_sample)
    centre = np.median(skin, axis=0)
    spread = np.maximum(np.median(np.abs(skin - centre), axis=0) * 1.4826, SPREAD_FLOOR)
    off = (lab(in_band) - centre) / spread
    # lighter than the skin is still skin (a forehead's sheen, a highlight): hair is darker,
    # or another hue
    off[:, 0] = np.minimum(off[:, 0], 0.0)
    far = np.sqrt((off**2).sum(axis=1)) > FAR
    found = np.zeros(part.shape[:2], np.uint8)
    found[in_band] = np.where(far, 255, 0).astype(np.uint8)
    # specks (a freckle, a highlight) are skin; a fringe is a region
    k = max(3, int(size * scale * 0.015) | 1)
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k))
    opened = cv2.morphologyEx(found, cv2.MORPH_OPEN, kernel)
    grown = cv2.dilate(opened, kernel)  # and the fringe's soft edge with it
    if scale < 1.0:
        grown = cv2.resize(grown, (x1 - x0, y1 - y0), interpolation=cv2.INTER_LINEAR)
        grown = np.where(grown > 127, 255, 0).astype(np.uint8)
    out[y0:y1, x0:x1] = grown
    return out


def texture_with_alpha(image: np.ndarray, points74: np.ndarray) -> np.ndarray:
    """The source texture as BGRA: alpha 0 on hair over its forehead, 255 elsewhere."""
    alpha = cv2.bitwise_not(not_skin(image, points74))
    return np.dstack([image, alpha])


# the same on MediaPipe's face mesh (face/imaging/facemesh.py): the band from the temples over
# the mesh's top (it reaches the hairline) and back along the brows' upper edges; the sample
# on the cheeks and the nose
MESH_BAND = np.array(
    [
        *(127, 162, 21, 54, 103, 67, 109, 10, 338, 297, 332, 284, 251, 389, 356),  # the top
        *(300, 293, 334, 296, 336, 107, 66, 105, 63, 70),  # back along the brows
    ]
)
MESH_SAMPLE = np.array([50, 101, 118, 280, 330, 347, 5, 195, 36, 266])


def mesh_not_skin(image: np.ndarray, mesh: np.ndarray) -> np.ndarray:
    """:func:`not_skin` on a face mesh's points (x, y in ``image``'s pixels)."""
    xy = np.asarray(mesh, np.float64)[:, :2]
    size = geometry.box_size(geometry.box_of(xy))
    return not_skin_in(image, xy[MESH_BAND], xy[MESH_SAMPLE], size)


RIM_INSET = 0.03  # the mesh's outline may lie past the face's edge by this share of its size


def mesh_texture_with_alpha(image: np.ndarray, mesh: np.ndarray, outline: np.ndarray) -> np.ndarray:
    """:func:`texture_with_alpha` on a face mesh's points; alpha 0 also outside the mesh's
    ``outline`` (its points in order) drawn RIM_INSET of the face's size inside it: on a
    turned head the outline overshoots the silhouette onto the background, which would be
    pasted onto the target's cheek."""
    xy = np.asarray(mesh, np.float64)[:, :2]
    inside: np.ndarray = np.zeros(image.shape[:2], np.uint8)
    cv2.fillPoly(inside, [np.round(xy[outline]).astype(np.int32)], 255)
    k = max(3, int(geometry.box_size(geometry.box_of(xy)) * RIM_INSET) | 1)
    inside = cv2.erode(inside, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k)))
    alpha = cv2.bitwise_and(inside, cv2.bitwise_not(mesh_not_skin(image, mesh)))
    return np.dstack([image, alpha])
