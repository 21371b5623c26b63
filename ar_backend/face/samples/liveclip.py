"""A generated live clip with its ground truth: where the face is, frame by frame.

    .venv/bin/python -m ar_backend.face.samples.liveclip out.mp4 [--size 640x480]

writes the clip (and prints its timeline), to check a set-up by eye or to feed the backend
as a file source. ``benchmarks/face_live.py`` and the tests use :func:`make_clip` directly,
and :func:`judge` to tell what went out for each frame.

A head cut from scikit-image's astronaut photo (a feathered ellipse) is moved over a
textured background with a name tag and a patch on it (what the swap must never land on),
through these phases at 30 fps (:data:`PHASES`, seconds):

``still``, ``move`` (side to side), ``turn`` (yaw, a perspective squeeze, up to ~30 deg),
``tilt`` (roll up to 25 deg), ``zoom`` (0.7x to 1.35x), ``cover`` (the lower half hidden by a
hand-coloured block for half a second), ``leave`` (out to the right), ``gone``, ``enter``
(back in from the left), ``back`` (still again).

Ground truth per frame (:class:`ClipFrame`): ``box``, the face's box in the frame (the
detector's box on the photo, carried by the same transform), and ``in_view``: at least
:data:`IN_VIEW` of that box inside the frame (a face mostly out of the picture counts as not
in view: it is neither detectable nor recognisable). A covered face is in view.

The hard cases (:data:`HARD_CLIPS`, each a short clip of its own, judged with a face in view
from :data:`PARTIAL_IN_VIEW` of its box inside: a mouth and chin are a face that must not go
out): ``rise`` (the face rising out of the top edge until only the mouth and chin show, then
gone), ``leave_left`` and ``leave_right`` (out by each side), ``turn60`` (yaw to 60 deg),
``small`` (40 px across, moving), ``bar`` (a dark bar across the mouth: a microphone),
``hand`` (a hand-shaped mask over mouth and chin) and ``cut`` (hard cuts to a picture with no
face and back). :func:`verdict` also says what went out while no part of the face was in the
frame (a guard's box left behind).
"""

from __future__ import annotations

import argparse
import math
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from ar_backend.face import samples
from ar_backend.face.imaging.warp import clip_box

FPS = 30
CHANGED = 3.0  # judge(): mean abs difference (0..255) of the face region that counts as changed
# judge(): the Laplacian energy ratio (out / in) under which a changed region is the guard's
# blur: its pixelate-and-blur leaves about 0.002 of a face's fine detail, a swap 0.29-0.43 of a
# sharp 50 px face's (the source's face is smoother than a photo's own): far apart, measured on
# the wide-shot job's 90 frames (benchmarks/jobs.py --only wide)
BLURRED = 0.1
IN_VIEW = 0.75
PARTIAL_IN_VIEW = 0.2  # the hard clips: a face a fifth in the frame (its mouth and chin) counts
SMALL_PX = 40.0  # the ``small`` phase: the face's box this wide
PHASES: tuple[tuple[str, float], ...] = (
    ("still", 1.0),
    ("move", 2.0),
    ("turn", 2.0),
    ("tilt", 2.0),
    ("zoom", 2.0),
    ("cover", 0.5),
    ("still2", 0.5),
    ("leave", 1.0),
    ("gone", 1.0),
    ("enter", 1.0),
    ("back", 1.0),
)
# the astronaut's face in the 512x512 photo (dlib's HOG box), so no detector is needed here
PHOTO_FACE = np.array([179.0, 83.0, 266.0, 170.0])


@dataclass
class ClipFrame:
    image: np.ndarray
    box: np.ndarray  # the face box in the frame (may reach outside it)
    in_view: bool
    phase: str
    covered: bool = False


def _head(photo: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The head cut from the photo (BGR, alpha 0..1) and the face box in the cut."""
    x0, y0, x1, y1 = PHOTO_FACE
    size = x1 - x0
    cx0, cy0 = int(x0 - size * 0.45), int(y0 - size * 0.6)
    cx1, cy1 = int(x1 + size * 0.45), int(y1 + size * 0.45)
    cut = photo[max(0, cy0) : cy1, max(0, cx0) : cx1].copy()
    h, w = cut.shape[:2]
    alpha: np.ndarray = np.zeros((h, w), np.float32)
    cv2.ellipse(alpha, (w // 2, h // 2), (int(w * 0.46), int(h * 0.48)), 0, 0, 360, 1.0, -1)
    alpha = cv2.GaussianBlur(alpha, (0, 0), size * 0.04)
    box = PHOTO_FACE - np.array([max(0, cx0), max(0, cy0)] * 2, np.float64)
    return cut, alpha, box


def _background(size: tuple[int, int]) -> np.ndarray:
    w, h = size
    rng = np.random.default_rng(13)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    bg = np.stack(
        [
            90 + 40 * np.sin(xx / 37.0) + 20 * np.cos(yy / 23.0),
            110 + 30 * np.cos(xx / 51.0 + yy / 71.0),
            120 + 35 * np.sin(yy / 29.0),
        ],
        axis=2,
    )
    bg += rng.normal(0, 6, bg.shape).astype(np.float32)
    bg = np.clip(bg, 0, 255).astype(np.uint8)
    # a name tag and a round patch: high-contrast things a landmark fit may cling to
    tw, th = int(w * 0.22), int(h * 0.08)
    tx, ty = int(w * 0.70), int(h * 0.80)
    cv2.rectangle(bg, (tx, ty), (tx + tw, ty + th), (245, 245, 245), -1)
    cv2.putText(
        bg,
        "E. COLLINS",
        (tx + 6, ty + int(th * 0.7)),
        cv2.FONT_HERSHEY_SIMPLEX,
        th / 45,
        (20, 20, 20),
        2,
    )
    cv2.circle(bg, (int(w * 0.15), int(h * 0.82)), int(h * 0.07), (40, 60, 170), -1)
    cv2.circle(bg, (int(w * 0.15), int(h * 0.82)), int(h * 0.045), (220, 220, 230), -1)
    return bg


def _other_shot(size: tuple[int, int]) -> np.ndarray:
    """What a hard cut cuts to: another picture with no face (scikit-image's coffee cup)."""
    from skimage import data

    return np.ascontiguousarray(cv2.resize(cv2.cvtColor(data.coffee(), cv2.COLOR_RGB2BGR), size))


def _pose(
    phase: str, u: float, w: int, h: int, face: float
) -> tuple[float, float, float, float, float]:
    """(centre x, centre y, scale, roll deg, yaw deg) at fraction ``u`` of ``phase``."""
    cx, cy, s, roll, yaw = w / 2, h * 0.45, 1.0, 0.0, 0.0
    wave = math.sin(2 * math.pi * u)
    if phase == "move":
        cx += wave * w * 0.22
        cy += math.sin(4 * math.pi * u) * h * 0.06
    elif phase == "turn":
        yaw = 30.0 * wave
    elif phase == "tilt":
        roll = 25.0 * wave
    elif phase == "zoom":
        s = 1.0 + (0.35 if wave > 0 else 0.3) * wave
    elif phase == "leave":
        cx += u * (w / 2 + face * 1.2)
    elif phase == "gone":
        cx = w + face * 2
    elif phase == "enter":
        cx = -face * 1.2 + u * (w / 2 + face * 1.2)
    elif phase == "rise":
        cy -= u * (h * 0.45 + face * 1.6)
    elif phase == "gone_top":
        cy = -face * 2
    elif phase == "leave_left":
        cx -= u * (w / 2 + face * 1.2)
    elif phase == "gone_left":
        cx = -face * 2
    elif phase == "turn60":
        yaw = 60.0 * math.sin(math.pi * u)
    elif phase == "small":
        s = SMALL_PX / face
        cx += wave * w * 0.25
    elif phase in ("bar", "hand"):
        cx += wave * w * 0.1
    return cx, cy, s, roll, yaw


HARD_CLIPS: dict[str, tuple[tuple[str, float], ...]] = {
    "rise": (("still", 0.5), ("rise", 1.5), ("gone_top", 0.5)),
    "leave_left": (("still", 0.5), ("leave_left", 1.2), ("gone_left", 0.5)),
    "leave_right": (("still", 0.5), ("leave", 1.2), ("gone", 0.5)),
    "turn60": (("turn60", 2.0),),
    "small": (("small", 2.0),),
    "bar": (("bar", 1.5),),
    "hand": (("hand", 1.5),),
    "cut": (("still", 0.5), ("cut", 0.5), ("still", 0.5), ("cut", 0.3), ("still", 0.3)),
}


def _cover(image: np.ndarray, phase: str, box: np.ndarray) -> None:
    """What is in front of the face in ``phase`` (drawn in place): ``cover``, a block over
    its lower half; ``bar``, a dark bar across the mouth; ``hand``, a palm over mouth and
    chin with four fingers up to the nose."""
    x0, y0, x1, y1 = box
    fw = x1 - x0
    if phase == "cover":  # a hand over the mouth and chin: the lower half of the face
        mid, pad = (y0 + y1) / 2, fw * 0.15
        cv2.rectangle(
            image, (int(x0 - pad), int(mid)), (int(x1 + pad), int(y1 + pad)), (120, 150, 200), -1
        )
    elif phase == "bar":
        my = y0 + 0.8 * (y1 - y0)
        cv2.rectangle(
            image,
            (int(x0 - 0.3 * fw), int(my - 0.1 * fw)),
            (int(x1 + 0.3 * fw), int(my + 0.1 * fw)),
            (25, 25, 25),
            -1,
        )
    elif phase == "hand":
        cx, cy = (x0 + x1) / 2, y0 + 0.95 * (y1 - y0)
        skin = (110, 140, 190)
        cv2.ellipse(image, (int(cx), int(cy)), (int(0.42 * fw), int(0.3 * fw)), 0, 0, 360, skin, -1)
        for k in range(4):
            fx = cx - 0.3 * fw + k * 0.2 * fw
            axes = (int(0.08 * fw), int(0.24 * fw))
            cv2.ellipse(image, (int(fx), int(cy - 0.3 * fw)), axes, 0, 0, 360, skin, -1)


def make_clip(
    size: tuple[int, int] = (640, 480),
    fps: int = FPS,
    phases: tuple[tuple[str, float], ...] = PHASES,
    in_view: float = IN_VIEW,
) -> list[ClipFrame]:
    """Every frame of the clip with its ground truth (see the module doc); ``phases`` picks
    and times the phases (a shorter clip for a test, or one of :data:`HARD_CLIPS`, judged
    with ``in_view`` :data:`PARTIAL_IN_VIEW`)."""
    w, h = size
    cut, alpha, face_box = _head(samples.astronaut())
    ch, cw = cut.shape[:2]
    base = (h * 0.42) / ch  # the head a little under half the frame's height
    bg = _background(size)
    cut_away = _other_shot(size)
    face = (face_box[2] - face_box[0]) * base
    frames: list[ClipFrame] = []
    for phase, seconds in phases:
        n = round(seconds * fps)
        for i in range(n):
            u = i / max(n - 1, 1)
            cx, cy, s, roll, yaw = _pose(phase, u, w, h, face)
            # the head's corners -> the frame: yaw squeezes one side (a perspective turn)
            squeeze = math.cos(math.radians(yaw))
            tilt_px = math.sin(math.radians(yaw)) * 0.12
            src = np.array([[0, 0], [cw, 0], [cw, ch], [0, ch]], np.float32)
            half_w, half_h = cw * base * s / 2, ch * base * s / 2
            left = 1.0 + tilt_px
            right = 1.0 - tilt_px
            local = np.array(
                [
                    [-half_w * squeeze, -half_h * left],
                    [half_w * squeeze, -half_h * right],
                    [half_w * squeeze, half_h * right],
                    [-half_w * squeeze, half_h * left],
                ],
                np.float32,
            )
            rot = math.radians(roll)
            rmat = np.array(
                [[math.cos(rot), -math.sin(rot)], [math.sin(rot), math.cos(rot)]], np.float32
            )
            dst = local @ rmat.T + np.array([cx, cy], np.float32)
            m = cv2.getPerspectiveTransform(src, dst)
            warped = cv2.warpPerspective(cut, m, (w, h), flags=cv2.INTER_LINEAR)
            a = cv2.warpPerspective(alpha, m, (w, h), flags=cv2.INTER_LINEAR)[:, :, None]
            image = (bg * (1 - a) + warped * a).astype(np.uint8)
            corners = np.array(
                [
                    [face_box[0], face_box[1]],
                    [face_box[2], face_box[1]],
                    [face_box[2], face_box[3]],
                    [face_box[0], face_box[3]],
                ],
                np.float32,
            ).reshape(-1, 1, 2)
            moved = cv2.perspectiveTransform(corners, m).reshape(-1, 2)
            box = np.array([*moved.min(axis=0), *moved.max(axis=0)], np.float64)
            covered = phase in ("cover", "bar", "hand")
            _cover(image, phase, box)
            if phase == "cut":  # another picture, with no face in it
                image, box = cut_away.copy(), np.full(4, -1e4)
            seen = inside_share(box, size) >= in_view
            frames.append(ClipFrame(image, box, seen, phase, covered))
    return frames


def inside_share(box: np.ndarray, size: tuple[int, int]) -> float:
    """The share of ``box``'s area inside a frame of ``size`` (width, height)."""
    w, h = size
    x0, y0, x1, y1 = box
    area = max(x1 - x0, 0) * max(y1 - y0, 0)
    if area <= 0:
        return 0.0
    ix = max(0.0, min(x1, w) - max(x0, 0))
    iy = max(0.0, min(y1, h) - max(y0, 0))
    return float(ix * iy / area)


def _lap(image: np.ndarray) -> float:
    gray = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY) if image.ndim == 3 else image
    return float(cv2.Laplacian(gray, cv2.CV_32F).var())


@dataclass(frozen=True)
class Verdict:
    """What went out for one frame (:func:`verdict`)."""

    kind: str  # at the face: swapped, guarded, leaked; none: no face in view
    drawn: bool  # a textured change away from the face: a swap drawn on no face
    left_over: bool  # anything changed while no part of the face was in the frame


def verdict(inp: np.ndarray, out: np.ndarray, box: np.ndarray, in_view: bool) -> Verdict:
    """What went out for a frame whose face is at ``box``.

    ``inp`` is the frame as the studio got it (decoded the same way: untouched pixels are
    identical). The face region changed with its texture kept is swapped; changed with its
    fine detail gone (Laplacian energy under :data:`BLURRED` of the input's) guarded; not
    changed (mean difference under :data:`CHANGED`) leaked. Its inner part is looked at (the
    box less a fifth each side), or for a face mostly out of the frame what of its box is in
    it. A textured change over 300 px away from the true face (its box grown by 60% each
    way: a swap's mask reaches forehead and jaw, a guard's blur further) is a swap drawn on
    no face; a face leaving the frame that is still swapped on its visible part is not one
    (it is a face). ``left_over``: over 300 px changed, swap or blur, while the face was
    wholly out of the frame (a guard's box left behind after it went).
    """
    changed = np.abs(inp.astype(np.int16) - out.astype(np.int16)).max(axis=2) > 20
    left_over = inside_share(box, (inp.shape[1], inp.shape[0])) <= 0 and changed.sum() >= 300
    x0, y0, x1, y1 = clip_box(box, inp.shape, margin=0.6)
    away = changed.copy()
    away[y0:y1, x0:x1] = False
    drawn = False
    if away.sum() >= 300:
        ys, xs = np.nonzero(away)
        a = inp[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]
        b = out[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]
        drawn = _lap(b) >= BLURRED * max(_lap(a), 1e-6)  # a blur there is the guard's
    if not in_view:
        return Verdict("none", drawn, left_over)
    x0, y0, x1, y1 = clip_box(box, inp.shape, margin=-0.2)  # the inner face
    if x1 - x0 < 4 or y1 - y0 < 4:  # mostly out of the frame: what of it is in
        x0, y0, x1, y1 = clip_box(box, inp.shape)
    a, b = inp[y0:y1, x0:x1], out[y0:y1, x0:x1]
    if np.abs(a.astype(np.int16) - b.astype(np.int16)).mean() < CHANGED:
        return Verdict("leaked", drawn, left_over)
    kind = "guarded" if _lap(b) < BLURRED * max(_lap(a), 1e-6) else "swapped"
    return Verdict(kind, drawn, left_over)


def judge(inp: np.ndarray, out: np.ndarray, box: np.ndarray, in_view: bool) -> tuple[str, bool]:
    """:func:`verdict`'s (kind, drawn)."""
    found = verdict(inp, out, box, in_view)
    return found.kind, found.drawn


def write_clip(path: Path, frames: list[ClipFrame], fps: int = FPS) -> Path:
    h, w = frames[0].image.shape[:2]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"mp4v"), fps, (w, h))
    if not writer.isOpened():
        raise OSError(f"cannot write {path}")
    for frame in frames:
        writer.write(frame.image)
    writer.release()
    return path


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("--size", default="640x480")
    ap.add_argument(
        "--hard",
        choices=sorted(HARD_CLIPS),
        help="write this hard clip instead (a face in view from PARTIAL_IN_VIEW of it inside)",
    )
    args = ap.parse_args()
    w, h = (int(v) for v in args.size.split("x"))
    phases = HARD_CLIPS[args.hard] if args.hard else PHASES
    in_view = PARTIAL_IN_VIEW if args.hard else IN_VIEW
    frames = make_clip((w, h), phases=phases, in_view=in_view)
    write_clip(args.out, frames)
    start = 0
    for phase, seconds in phases:
        n = round(seconds * FPS)
        seen = sum(f.in_view for f in frames[start : start + n])
        print(f"  frames {start:4d}-{start + n - 1:4d}  {phase:<10} face in view in {seen}/{n}")
        start += n
    print(f"{args.out}: {len(frames)} frames at {FPS} fps, {w}x{h}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
