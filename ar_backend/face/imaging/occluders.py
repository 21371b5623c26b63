"""What is in front of a face, as masks (uint8, 255 in front), and the swap put back behind it.
Pure functions of arrays: the models that find hands and people are in face/occlusion.

- :func:`hand_mask`: a hand from its 21 points (MediaPipe's hand landmarks): the palm filled,
  each finger a thick stroke from base to tip, as wide as a finger of that hand.
- :func:`object_mask`: inside the face, what does not look like the face: pixels of another
  hue than the face's own skin (sampled on the cheeks and nose), or dark and colourless,
  outside its features (eyes, brows, mouth, nostrils), and pixels person segmentation says
  are not the person. A microphone, a cup, glasses' rims; shade, stubble and highlights
  change lightness and the amount of colour, not the hue, and stay the face; specks (a
  freckle) are not objects.
- :func:`put_back`: the frame's own pixels over the swapped frame where the mask is, with a
  soft edge on the face's side only (the occluder's pixels come back exactly).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

from ar_backend.face.imaging.scale import area

Image = npt.NDArray[np.uint8]
Mask = npt.NDArray[np.uint8]
Points = npt.NDArray[np.floating]

# MediaPipe's hand: 0 wrist, 1-4 thumb, 5-8 index, 9-12 middle, 13-16 ring, 17-20 little
FINGERS = ((1, 2, 3, 4), (5, 6, 7, 8), (9, 10, 11, 12), (13, 14, 15, 16), (17, 18, 19, 20))
PALM = (0, 1, 5, 9, 13, 17)
FINGER_WIDTH = 0.34  # a finger's width, as a share of the palm's (index base to little base)

# dlib's 68 points: the face's regions
JAW = np.arange(0, 17)
BROWS = (np.arange(17, 22), np.arange(22, 27))
EYES = (np.arange(36, 42), np.arange(42, 48))
MOUTH = np.arange(48, 60)
NOSTRILS = np.array([31, 32, 33, 34, 35, 30])
# under the eyes, beside the nose: what a hand over the mouth or a microphone leaves visible
SKIN_SAMPLE = (np.array([1, 2, 31, 29, 39, 40, 41, 36]), np.array([15, 14, 35, 29, 42, 47, 46, 45]))
# skin of any tone in YCrCb (Cr, Cb bounds): a sample pixel outside is no skin (a glove)
SKIN_CR, SKIN_CB = (128, 180), (70, 135)

# what is no skin, against the face's own skin colour (Lab, its median on the sample): light
# and shade change the lightness and the amount of colour, not its hue, so a shadow, stubble
# or a highlight stays skin; an object is another hue, or dark and colourless
HUE_APART = 60.0  # degrees round from the skin's hue (a, b) ...
HUE_CHROMA = 0.3  # ... with at least this share of the skin's colour (else the hue is noise)
NEUTRAL = 0.3  # or under this share of the skin's colour ...
DARK = 0.35  # ... and under this share of its lightness (a microphone, a glasses' rim)
MIN_CHROMA = 4.0  # the skin's colour counted at least this (a grey frame: lightness alone)
STRICT = 0.7  # past the outline, each bound this much harder to pass
NOT_PERSON = 0.35  # person probability under which a pixel is not the person
WORK_PX = 128  # the face's size the object mask is worked out at
MIN_AREA = 0.01  # an object covers at least this share of the face
EDGE = 0.06  # the band along the outline left alone, as a share of the face's size
GROW = 0.1  # how far past the outline an object found inside is followed (share of size)


def hand_mask(points: Points, shape: tuple[int, ...]) -> Mask:
    """A hand from its 21 points (frame pixels) as a mask of ``shape[:2]``."""
    h, w = shape[:2]
    out = np.zeros((h, w), np.uint8)
    xy = np.asarray(points, np.float64)[:, :2]
    palm_width = float(np.linalg.norm(xy[5] - xy[17]))
    width = max(2, round(palm_width * FINGER_WIDTH))
    palm = cv2.convexHull(np.round(xy[list(PALM)]).astype(np.int32))
    cv2.fillConvexPoly(out, palm, 255, cv2.LINE_AA)
    for finger in FINGERS:  # base (in the palm) to tip
        chain = np.round(xy[list(finger)]).astype(np.int32)
        cv2.polylines(out, [chain], False, 255, width, cv2.LINE_AA)
        for x, y in chain:
            cv2.circle(out, (int(x), int(y)), width // 2, 255, -1, cv2.LINE_AA)
    return np.where(out > 127, 255, 0).astype(np.uint8)


@dataclass(frozen=True)
class FaceRegions:
    """A face's outline, its features (allowed to look unlike skin) and where its skin is
    sampled, as polygons in frame pixels."""

    outline: Points
    features: tuple[Points, ...]
    skin: tuple[Points, ...]
    mouth: Points  # the mouth's centre (x, y)
    down: Points  # the face's own downwards (unit: from between the eyes to the mouth)


def moved(regions: FaceRegions, by: Points) -> FaceRegions:
    """The same regions ``by`` (x, y) px along: in a part of the frame's own pixels."""
    return FaceRegions(
        regions.outline + by,
        tuple(poly + by for poly in regions.features),
        tuple(poly + by for poly in regions.skin),
        regions.mouth + by,
        regions.down,
    )


def regions68(points: Points) -> FaceRegions:
    """The regions of a face with dlib's 68 points (and a forehead above them, when the 74
    points of geometry.with_forehead are given)."""
    xy = np.asarray(points, np.float64)[:, :2]
    outline = np.concatenate([xy[JAW], xy[BROWS[1]][::-1], xy[BROWS[0]][::-1]])
    features = (*(xy[b] for b in BROWS), *(xy[e] for e in EYES), xy[MOUTH], xy[NOSTRILS])
    mouth = xy[MOUTH].mean(axis=0)
    down = mouth - (xy[EYES[0]].mean(axis=0) + xy[EYES[1]].mean(axis=0)) / 2
    down = down / max(float(np.linalg.norm(down)), 1e-6)
    return FaceRegions(outline, features, tuple(xy[s] for s in SKIN_SAMPLE), mouth, down)


def _lab(pixels: Image) -> npt.NDArray[np.float32]:
    """BGR pixels (N, 3) as Lab (N, 3)."""
    return cv2.cvtColor(pixels[:, None, :], cv2.COLOR_BGR2LAB)[:, 0].astype(np.float32)


def no_skin(
    lab: npt.NDArray[np.float32], skin: npt.NDArray[np.float32], strict: npt.NDArray[np.bool_]
) -> npt.NDArray[np.bool_]:
    """Which of the Lab pixels (N, 3) are no skin of the colour ``skin`` (L, a, b): another
    hue, or dark and colourless; ``strict`` pixels (N,) must be clearly so."""
    tone = skin[1:] - 128.0
    colour = max(float(np.linalg.norm(tone)), MIN_CHROMA)
    chroma = lab[:, 1:] - 128.0
    amount = np.linalg.norm(chroma, axis=1) / colour
    cos = (chroma @ tone) / (np.linalg.norm(chroma, axis=1) * colour + 1e-6)
    apart = np.degrees(np.arccos(np.clip(cos, -1.0, 1.0)))
    hard = np.where(strict, 1.0 / STRICT, 1.0)
    soft = np.where(strict, STRICT, 1.0)
    other_hue = (apart > np.minimum(HUE_APART * hard, 179.0)) & (amount >= HUE_CHROMA * hard)
    dark = (amount < NEUTRAL * soft) & (lab[:, 0] < DARK * soft * max(float(skin[0]), 1.0))
    return np.asarray(other_hue | dark, np.bool_)


def object_mask(
    image: Image,
    regions: FaceRegions,
    person: npt.NDArray[np.float32] | None = None,
    known: Mask | None = None,
) -> Mask:
    """Inside the face's outline, what does not look like this face (a mask the size of
    ``image``). ``person``: person segmentation's probability over the frame, or None;
    ``known``: occluders found already (hands), left out of the skin sample."""
    h, w = image.shape[:2]
    out = np.zeros((h, w), np.uint8)
    lo, hi = regions.outline.min(axis=0), regions.outline.max(axis=0)
    if min(hi - lo) < 8:
        return out
    pad = GROW * float(max(hi - lo))  # the band past the outline an object may go on into
    x0, y0 = np.clip(np.floor(lo - pad).astype(int), 0, [w, h])
    x1, y1 = np.clip(np.ceil(hi + pad).astype(int) + 1, 0, [w, h])
    if x1 - x0 < 8 or y1 - y0 < 8:
        return out
    size = max(x1 - x0, y1 - y0)
    scale = min(1.0, WORK_PX / size)
    sw, sh = max(8, round((x1 - x0) * scale)), max(8, round((y1 - y0) * scale))
    part = image[y0:y1, x0:x1]
    if scale < 1.0:
        part = np.asarray(area(part, (sw, sh)), np.uint8)
    sx, sy = sw / (x1 - x0), sh / (y1 - y0)

    def local(poly: Points) -> npt.NDArray[np.int32]:
        return np.round((poly - (x0, y0)) * (sx, sy)).astype(np.int32)

    outline = np.zeros((sh, sw), np.uint8)
    cv2.fillPoly(outline, [local(regions.outline)], 255)
    # the outline's own edge (the jaw's shadow, the room, hair at the temples) is not looked at
    edge = max(3, round(EDGE * max(sw, sh)) | 1)
    inside = cv2.erode(outline, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (edge, edge)))
    # ... but an object found inside goes on across it below the mouth (a hand or a cup
    # over the chin, past where a mesh fitted on the covered face puts the jaw)
    grow = max(3, round(2 * pad * min(sx, sy)) | 1)
    band = cv2.dilate(outline, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (grow, grow)))
    band[inside > 0] = 0
    yy, xx = np.mgrid[0:sh, 0:sw]
    mx, my = (regions.mouth - (x0, y0)) * (sx, sy)
    band[(xx - mx) * regions.down[0] + (yy - my) * regions.down[1] <= 0] = 0
    features = np.zeros((sh, sw), np.uint8)
    for poly in regions.features:
        cv2.fillConvexPoly(features, cv2.convexHull(local(poly)), 255)
    k = max(3, round(0.06 * max(sw, sh)) | 1)  # features' own edges (lashes, lip line) too
    features = cv2.dilate(features, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k)))
    sample = np.zeros((sh, sw), np.uint8)
    for poly in regions.skin:
        cv2.fillConvexPoly(sample, cv2.convexHull(local(poly)), 255)
    in_sample = (sample > 0) & (features == 0)
    ycc = cv2.cvtColor(part, cv2.COLOR_BGR2YCrCb)
    cr, cb = ycc[..., 1], ycc[..., 2]
    skin_like = (cr >= SKIN_CR[0]) & (cr <= SKIN_CR[1]) & (cb >= SKIN_CB[0]) & (cb <= SKIN_CB[1])
    if np.count_nonzero(in_sample & skin_like) >= 16:
        in_sample &= skin_like
    if known is not None:
        hidden = known[y0:y1, x0:x1]
        if scale < 1.0:
            hidden = np.asarray(
                cv2.resize(hidden, (sw, sh), interpolation=cv2.INTER_NEAREST), np.uint8
            )
        if np.count_nonzero(in_sample & (hidden == 0)) >= 16:
            in_sample &= hidden == 0
    in_face = inside > 0
    looked = in_face | (band > 0)
    found = np.zeros((sh, sw), np.uint8)
    unlike = np.zeros((sh, sw), np.uint8)  # not skin, features and the band included
    if np.count_nonzero(in_sample) >= 16:
        skin = np.median(_lab(part[in_sample]), axis=0)
        # past the edge, only what is clearly no skin (not the jaw's shadow)
        far = no_skin(_lab(part[looked]), skin, band[looked] > 0)
        unlike[looked] = np.where(far, 255, 0).astype(np.uint8)
        found[(unlike > 0) & (features == 0) & in_face] = 255
    if person is not None:
        prob = person[y0:y1, x0:x1]
        if scale < 1.0:
            prob = np.asarray(area(prob, (sw, sh)), np.float32)
        found[in_face & (prob < NOT_PERSON)] = 255
    # specks are the face; an object is a region (a rim is thin but long: kept by its area)
    small = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (3, 3))
    found = cv2.morphologyEx(found, cv2.MORPH_OPEN, small)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(found, connectivity=8)
    least = MIN_AREA * max(1, int(np.count_nonzero(in_face)))
    keep = np.zeros(count, np.uint8)
    keep[1:] = np.where(stats[1:, cv2.CC_STAT_AREA] >= least, 255, 0)
    found = keep[labels]
    # an object over a feature (a bar across the mouth) or across the outline's edge goes on
    # over it: the unlike-skin regions it touches there are in front too
    count, labels = cv2.connectedComponents(cv2.bitwise_or(unlike, found), connectivity=8)
    touched = np.zeros(count, np.uint8)
    touched[np.unique(labels[found > 0])] = 255
    touched[0] = 0
    onto = (features > 0) | (band > 0)
    found = np.where((found > 0) | ((touched[labels] > 0) & onto), 255, 0)
    found = cv2.morphologyEx(found.astype(np.uint8), cv2.MORPH_CLOSE, small)
    if scale < 1.0:
        found = cv2.resize(found, (x1 - x0, y1 - y0), interpolation=cv2.INTER_LINEAR)
        found = np.where(found > 127, 255, 0).astype(np.uint8)
    out[y0:y1, x0:x1] = found
    return out


def put_back(original: Image, swapped: Image, mask: Mask, feather: int = 3) -> Image:
    """``swapped`` with ``original``'s pixels wherever ``mask`` is set (exactly), blending
    into the swap over ``feather`` px outside the mask (no hard line round a hand)."""
    if not mask.any():
        return swapped
    # only around what is set (a hand, a bar: a small part of the frame): the dilation and
    # the blur reach 4 * feather px at most, so the margin leaves the result exactly the same
    x, y, w, h = cv2.boundingRect(mask)
    pad = 4 * feather + 2
    h_img, w_img = mask.shape[:2]
    x0, y0 = max(0, x - pad), max(0, y - pad)
    x1, y1 = min(w_img, x + w + pad), min(h_img, y + h + pad)
    part = mask[y0:y1, x0:x1]
    grown = cv2.dilate(part, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * feather + 1,) * 2))
    soft = cv2.GaussianBlur(grown.astype(np.float32) * (1.0 / 255.0), (0, 0), feather / 2)
    alpha = np.maximum(soft, (part > 0).astype(np.float32))
    out = swapped.copy()
    out[y0:y1, x0:x1] = cv2.blendLinear(
        original[y0:y1, x0:x1], swapped[y0:y1, x0:x1], alpha, 1.0 - alpha
    )
    return out
