"""A warped source face in the frame's colour, light and sharpness (the classic engine's mesh
path): every step on one Lab copy of each (float32: L, a, b in OpenCV's 8-bit scales), so the
face is converted once each way.

- :func:`match_colour`: the skin's colour (Reinhard: mean and spread per channel) made the
  frame's, the mean read where the skin is itself (the cheeks), the spread over the skin;
- :func:`relight`: the frame's smooth light on the face's lightness;
- :func:`match_detail`: its fine detail as sharp as the frame's skin (not wax);
- :func:`match_rim`: its edge in the tint of the skin beside it, and its light part of the
  way there (no mask's edge).

Masks are uint8 (255 in), over the face's region, like the images.
"""

from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt

Lab = npt.NDArray[np.float32]
Mask = npt.NDArray[np.uint8]

MIN_PIXELS = 16


def to_lab(image: npt.NDArray[np.uint8]) -> Lab:
    lab: Lab = cv2.cvtColor(image, cv2.COLOR_BGR2LAB).astype(np.float32)
    return lab


def to_bgr(lab: Lab) -> npt.NDArray[np.uint8]:
    bgr = np.asarray(
        cv2.cvtColor(np.clip(lab, 0, 255).astype(np.uint8), cv2.COLOR_LAB2BGR), np.uint8
    )
    return bgr


SPREAD_RATIO = (0.5, 2.0)  # the spread's change per channel is bounded


def match_colour(face: Lab, frame: Lab, skin: Mask, centre: Mask) -> Lab:
    """Reinhard transfer: the face's spread over ``skin`` made the frame's, and its mean under
    ``centre`` (the cheeks and nose: hair over the cheeks, the background past a silhouette,
    lipstick are not the skin's colour). In place, and returned."""
    if cv2.countNonZero(skin) < MIN_PIXELS:
        return face
    where = centre if cv2.countNonZero(centre) >= MIN_PIXELS else skin
    fm, fs = (v.ravel() for v in cv2.meanStdDev(face, mask=skin))
    tm, ts = (v.ravel() for v in cv2.meanStdDev(frame, mask=skin))
    fm = np.array(cv2.mean(face, mask=where)[:3])
    tm = np.array(cv2.mean(frame, mask=where)[:3])
    ratio = np.clip((ts + 1e-3) / (fs + 1e-3), *SPREAD_RATIO)
    # (per channel: face * ratio + (tm - fm * ratio): two passes, in place)
    face *= ratio.astype(np.float32)
    face += (tm - fm * ratio).astype(np.float32)
    return face


SMOOTH_K = 15  # a smooth average is worked out at a scale where its kernel is this size


def smooth_under(images: list[np.ndarray], mask: Mask, scale: float) -> list[np.ndarray]:
    """Each image (float32, the mask's size, one or more channels) averaged under ``mask``
    with a kernel of ``scale`` px, worked out at low resolution (it is smooth at that scale)
    and scaled back up; off the mask, the average of the mask's pixels near by."""
    k = max(3.0, scale)
    step = max(1, round(k / SMOOTH_K))  # a whole step: OpenCV's area resize is fast then
    h, w = mask.shape[:2]
    small = (max(4, w // step), max(4, h // step))
    ks = max(3, int(k / step) | 1)
    weight = cv2.resize((mask > 0).astype(np.float32), small, interpolation=cv2.INTER_AREA)
    total = np.maximum(cv2.GaussianBlur(weight, (ks, ks), 0), 1e-4)
    out = []
    for image in images:
        shrunk = cv2.resize(image, small, interpolation=cv2.INTER_AREA)
        if shrunk.ndim == 2:
            avg = cv2.GaussianBlur(shrunk * weight, (ks, ks), 0) / total
        else:
            avg = cv2.GaussianBlur(shrunk * weight[..., None], (ks, ks), 0) / total[..., None]
        out.append(cv2.resize(avg, (w, h), interpolation=cv2.INTER_LINEAR))
    return out


def relight(face: Lab, frame: Lab, skin: Mask, scale: float) -> Lab:
    """The frame's light on the face: its lightness moved by the difference of the frame's
    and the face's smooth lightness, each averaged under ``skin`` with a kernel of ``scale``
    px. ``skin`` should hold skin only: eyes, brows and lips have their own shade, and hair
    over the cheeks is not the face's light. The tint is left to :func:`match_colour` and
    :func:`match_rim`: moved by the whole face's average it greys a face with a shadow of
    stubble or a fringe in it. In place, and returned."""
    mine, theirs = smooth_under([face[..., 0].copy(), frame[..., 0].copy()], skin, scale)
    face[..., 0] += theirs - mine
    return face


def blur(image: np.ndarray, sigma: float) -> np.ndarray:
    """A Gaussian blur; a wide one (sigma over 3 px) worked out at a half or a quarter of the
    size and scaled back up (what it leaves is smooth at that scale: the same to the eye, a
    fraction of the cost on a large face)."""
    factor = int(min(4, sigma // 1.5))
    if factor < 2:
        return np.asarray(cv2.GaussianBlur(image, (0, 0), sigma))
    h, w = image.shape[:2]
    small = cv2.resize(
        image, (max(1, w // factor), max(1, h // factor)), interpolation=cv2.INTER_AREA
    )
    soft = cv2.GaussianBlur(small, (0, 0), sigma / factor)
    return np.asarray(cv2.resize(soft, (w, h), interpolation=cv2.INTER_LINEAR))


DETAIL_BANDS = (80.0, 25.0)  # the fine bands' blur, in parts of the face's size (size / n)
DETAIL_GAIN = (0.7, 2.0)  # how far a band's contrast is changed at most


def match_detail(face: Lab, frame: Lab, skin: Mask, size: float) -> Lab:
    """The face's fine detail as sharp as the frame's skin: each fine band of its lightness
    (a difference of blurs at ``size / 80`` and ``size / 25``) scaled so its contrast under
    ``skin`` is the frame's.

    A source texture warped onto a face is resampled (softer when it is smaller than the face,
    aliased when larger) and came from another camera; set into a frame whose skin has its own
    grain and sharpness it looks like wax when softer. The bands' gain is bounded
    (DETAIL_GAIN): the source's features keep their own detail, only its level changes; the
    tint is left alone (a camera's colour noise is not detail). In place, and returned."""
    inside = skin > 0
    if np.count_nonzero(inside) < 4 * MIN_PIXELS:
        return face
    light: np.ndarray = face[..., 0].copy()
    other: np.ndarray = frame[..., 0].copy()
    for part in DETAIL_BANDS:
        sigma = max(0.6, size / part)
        blur_f, blur_t = blur(light, sigma), blur(other, sigma)
        band_f, band_t = light - blur_f, other - blur_t
        energy_f = float(np.sqrt(np.mean(band_f[inside] ** 2)))
        energy_t = float(np.sqrt(np.mean(band_t[inside] ** 2)))
        gain = float(np.clip(energy_t / max(energy_f, 1e-3), *DETAIL_GAIN))
        face[..., 0] += (gain - 1.0) * band_f
        light, other = blur_f, blur_t
    return face


RIM_REACH = 0.15  # how far into the face (in parts of its size) its edge takes the frame's tint
RIM_LIGHT_REACH = 0.08  # ... and its lightness (the share RIM_LIGHT of the step)
RIM_LIGHT = 0.25


def rim_fade(depth: np.ndarray, reach: float) -> np.ndarray:
    """A rim's weight by depth into the face: 1 over the outer half of ``reach``, falling
    linearly to 0 at ``reach``. (Falling from the edge itself, a third of a tint step was
    left at the depth where the paste's edge shows: a grey ring round the face.)"""
    fade: np.ndarray = depth * np.float32(-2.0 / reach)  # (float32 throughout, in place)
    fade += np.float32(2.0)
    return np.clip(fade, 0.0, 1.0, out=fade)


def match_rim(face: Lab, frame: Lab, mask: Mask, size: float) -> Lab:
    """The face's edge in the frame's colour there: its tint (a, b) made the frame's over
    the outer half of RIM_REACH of the face's size, fading out by that depth; and a share
    (RIM_LIGHT) of its lightness step, fading out by RIM_LIGHT_REACH. Each step is the smooth
    difference between the frame and the face along the inside of the mask's edge. In
    place, and returned.

    A face's edge in another tint than the skin beside it (a rosy or tanned source on a pale
    face) reads as a mask, and so does a rim lighter than the skin round it (a source lit
    flat, from the front, on a face whose edge turns into shade): the group photo's faces
    showed a pale, greyish band just inside the pasted edge. The tint is the frame's through
    the band where the paste's edge shows; the lightness moves only part of the way, near
    the edge: the shading along a face's outline (what rounds a jaw, a forehead) is much of
    its likeness, and taken whole it brings the target's face shape back (dlib's descriptor,
    the group photo live: 1 of 6 faces nearer the source than their original with the
    whole step matched as deep as the tint, 4 of 6 with a quarter); the paste's low band
    (blend.paste_multiband) spreads what is left over a wide seam. Unlike a Poisson paste,
    which makes the edge the frame's in everything, the colours along the edge (hair, a
    hand, the background beside a cheek) do not spread across the whole face."""
    reach = max(2.0, size * RIM_REACH)
    depth = cv2.distanceTransform((mask > 0).astype(np.uint8), cv2.DIST_L2, 3)
    ring = ((mask > 0) & (depth <= reach / 2)).astype(np.uint8)
    if cv2.countNonZero(ring) < MIN_PIXELS:
        return face
    theirs, mine = smooth_under([frame, face], ring, reach)
    step = cv2.subtract(theirs, mine, dst=theirs)
    tint = rim_fade(depth, reach)
    light = rim_fade(depth, max(2.0, size * RIM_LIGHT_REACH))
    light *= np.float32(RIM_LIGHT)
    face += cv2.multiply(step, cv2.merge([light, tint, tint]), dst=step)
    return face
