"""The live swap held to the truth, frame by frame: swapped where a face is, never where none
is, and with the guard on no real face out.

    .venv/bin/python -m benchmarks.face_live [--engine classic] [--size 640x480]
        [--demo-seconds 20] [--guards off,blur] [--only clip,demo,hard,rise,...] [--dump DIR]
        [--dump-every N] [--every-frame]

The sources, each written to an MP4 and played through a real Studio (file source, capture
and process threads, the face_swap processor, the astronaut's neighbour from the group photo
as the source face; faces found by MediaPipe's detector and mesh when their files are
there, else dlib's: the ``tracker`` printed):

- ``clip``: ar_backend.face.samples.liveclip (the astronaut's head moved, turned, tilted, zoomed,
  half covered for half a second, out of the frame and back); ground truth from the clip's
  own generation;
- ``demo``: the demo source's stream (its pan and zoom over the astronaut photo, rebuilt with
  ar_backend.sources.demo.demo_frame at 30 fps); ground truth: the photo's face box carried
  through each frame's crop;
- the hard clips (``liveclip.HARD_CLIPS``, each its own source): the face rising out of the
  top edge, leaving by the left and by the right, turned 60 deg, 40 px across, covered by a
  bar and by a hand-shaped mask, and hard cuts away and back; a face counts as in view from
  ``liveclip.PARTIAL_IN_VIEW`` of its box inside (its mouth and chin).

A face is in view when at least liveclip.IN_VIEW of its box is inside the frame. Each
output frame (pipeline.output, matched to its input by sequence number) is compared with the
decoded input frame (the same decoder: untouched pixels are identical) by
``liveclip.judge``: at the face **swapped**, **guarded** (blurred) or **leaked** (a real face
went out); anywhere else a textured change is a **swap drawn on no face** (the badge, the
patch; a face leaving the frame that is still swapped on its visible part is a face).

Also counted: frames **changed after the face went** (anything drawn while no part of the
face is in the frame: a guard's box left behind), and their longest run.

A Studio plays each file at its rate, so a loaded machine skips frames (it measures what a
viewer gets there); ``--every-frame`` instead hands every frame, in order, to the live
``face_swap`` processor (the tracker and FaceSwap the process thread runs), so each phase of a
hard clip is judged on all its frames whatever the machine's speed.

``--dump DIR`` writes those frames (input and output side by side, the true box drawn: green
in view, red not), ``--dump-every N`` also every Nth frame whatever its verdict (named with
it), to look at what a viewer got.

Targets: swapped >= 99% of the frames with a face in view (guard off; the hard clips' partly
visible faces are guarded instead), 0 swaps drawn on no face, and with the guard on 0 leaked
and nothing changed after the face went. Exit 0 whatever the figures.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from ar_backend.config import BackendConfig, FaceConfig, PipelineConfig
from ar_backend.face import samples
from ar_backend.face.live.session import FaceSwap
from ar_backend.face.samples import liveclip
from ar_backend.frames import Frame
from ar_backend.processors import ProcessorContext, ProcessorResources, make_processor
from ar_backend.sources.demo import demo_crop, demo_frame, demo_photo_path
from ar_backend.studio import Studio
from benchmarks.video import read_frames


@dataclass
class Truth:
    box: np.ndarray
    in_view: bool


def demo_stream(size: tuple[int, int], seconds: float) -> tuple[list[np.ndarray], list[Truth]]:
    path = demo_photo_path()
    assert path is not None, "the demo photo is missing (pip install scikit-image)"
    photo = cv2.imread(str(path), cv2.IMREAD_COLOR)
    frames, truth = [], []
    for i in range(round(seconds * liveclip.FPS)):
        t = i / liveclip.FPS
        x0, y0, cw, ch = demo_crop(t, photo.shape, size)
        sx, sy = size[0] / cw, size[1] / ch
        box = (liveclip.PHOTO_FACE - [x0, y0, x0, y0]) * [sx, sy, sx, sy]
        frames.append(demo_frame(photo, t, size))
        truth.append(Truth(box, liveclip.inside_share(box, size) >= liveclip.IN_VIEW))
    return frames, truth


class Tally:
    """Each output frame judged against its input and the truth (``liveclip.verdict``), the
    counts kept, and the frames asked for written (``--dump``, ``--dump-every``)."""

    def __init__(self, name: str, guard: str, dump: Path | None, dump_every: int) -> None:
        self.name, self.guard, self.dump, self.dump_every = name, guard, dump, dump_every
        self.counts: dict[str, Any] = {}
        self.run_over = 0  # frames in a row with something drawn after the face went

    def add(self, i: int, inp: np.ndarray, out: np.ndarray, truth: Truth) -> None:
        c = self.counts
        found = liveclip.verdict(inp, out, truth.box, truth.in_view)
        kind, drawn = found.kind, found.drawn
        c[kind] = c.get(kind, 0) + 1
        c["drawn"] = c.get("drawn", 0) + drawn
        c["left_over"] = c.get("left_over", 0) + found.left_over
        self.run_over = self.run_over + 1 if found.left_over else 0
        c["left_over_run"] = max(c.get("left_over_run", 0), self.run_over)
        wrong = drawn or kind == "leaked" or found.left_over
        if self.dump is not None and (wrong or (self.dump_every and i % self.dump_every == 0)):
            what = "drawn" if drawn else ("left-over" if found.left_over else kind)
            _dump(self.dump / f"{self.name}-{self.guard}-{i:04d}-{what}.png", inp, out, truth)

    def status(self, face: FaceSwap) -> dict[str, Any]:
        st = face.status()
        self.counts["status.frames_guarded"] = st.frames_guarded
        self.counts["status.false_swaps_prevented"] = st.false_swaps_prevented
        self.counts["status.tracker"] = (st.detection and st.detection.tracker) or "?"
        return self.counts


def run(
    name: str,
    frames: list[np.ndarray],
    truth: list[Truth],
    engine: str,
    guard: str,
    tmp: Path,
    tally: Tally,
) -> dict[str, Any]:
    """The clip played by a real Studio at its rate: what a viewer gets on this machine."""
    h, w = frames[0].shape[:2]
    clip = tmp / f"{name}.mp4"
    decoded = _written(clip, frames)
    config = BackendConfig.model_validate(
        {
            "camera": {"source": f"file:{clip}", "fps": liveclip.FPS, "width": w, "height": h},
            "media": {"folders": [str(tmp)]},
            "monitor": {"enabled": False},
            "pipeline": {"processors": ["face_swap"]},
            "face": {"engine": engine, "guard": guard, "state_dir": None},
        }
    )
    studio = Studio(config)
    try:
        studio.face.load_image(samples.encode(samples.group()), 0, "group-left")
        studio.face.start()
        studio.camera_start(f"file:{clip}", from_api=False)
        seq = -1
        last = -1
        deadline = time.monotonic() + len(decoded) / liveclip.FPS + 20
        while time.monotonic() < deadline:
            frame = studio.pipeline.output.wait_newer(seq, 2.0)
            if frame is None:
                continue
            seq = frame.seq
            # which frame of the file this is (a loaded machine skips frames of a file to
            # keep to its clock, so the sequence number is not the file's frame)
            i = int(frame.meta.get("source_frame", seq - 1))
            if i <= last or i >= len(decoded):
                break  # the file looped: one pass is measured
            last = i
            tally.add(i, decoded[i], frame.image, truth[i])
        return tally.status(studio.face)
    finally:
        studio.close()


def run_every_frame(
    name: str,
    frames: list[np.ndarray],
    truth: list[Truth],
    engine: str,
    guard: str,
    tmp: Path,
    tally: Tally,
) -> dict[str, Any]:
    """Every frame of the clip, in order, through the live face_swap processor (the tracker
    and FaceSwap a Studio's process thread runs), none skipped: the face path itself,
    whatever this machine's rate."""
    decoded = _written(tmp / f"{name}.mp4", frames)
    face = FaceSwap(FaceConfig(engine=engine, guard=guard, state_dir=None))
    proc = make_processor("face_swap", PipelineConfig(), ProcessorResources(face=face))
    try:
        face.load_image(samples.encode(samples.group()), 0, "group-left")
        face.start()
        for i, image in enumerate(decoded):
            out = proc.process(Frame(image.copy(), i + 1, 0.0), ProcessorContext())
            tally.add(i, image, out.image, truth[i])
        return tally.status(face)
    finally:
        proc.close()
        face.close()


def _written(clip: Path, frames: list[np.ndarray]) -> list[np.ndarray]:
    """The frames written to an MP4 and read back (what the file source will decode)."""
    h, w = frames[0].shape[:2]
    writer = cv2.VideoWriter(str(clip), cv2.VideoWriter_fourcc(*"mp4v"), liveclip.FPS, (w, h))
    for f in frames:
        writer.write(f)
    writer.release()
    return read_frames(clip)


def _dump(path: Path, inp: np.ndarray, out: np.ndarray, truth: Truth) -> None:
    """Input and output side by side, the true face box drawn on both (``--dump``)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    pair = [inp.copy(), out.copy()]
    for image in pair:
        x0, y0, x1, y1 = (round(float(v)) for v in truth.box)
        cv2.rectangle(image, (x0, y0), (x1, y1), (0, 255, 0) if truth.in_view else (0, 0, 255), 2)
    cv2.imwrite(str(path), np.hstack(pair))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--engine", default="classic")
    ap.add_argument("--size", default="640x480")
    ap.add_argument("--demo-seconds", type=float, default=20.0)
    ap.add_argument("--guards", default="off,blur")
    ap.add_argument(
        "--only",
        help="measure these sources only (comma separated): clip, demo, hard (every hard "
        f"clip), or hard clips by name ({', '.join(liveclip.HARD_CLIPS)})",
    )
    ap.add_argument(
        "--dump",
        type=Path,
        help="write the frames swapped with no face in view, leaked, or changed after the face "
        "went, here",
    )
    ap.add_argument(
        "--dump-every",
        type=int,
        default=0,
        help="with --dump, also every Nth frame whatever its verdict (named with it)",
    )
    ap.add_argument(
        "--every-frame",
        action="store_true",
        help="each frame in order through the live face_swap processor, none skipped (the "
        "face path itself), instead of a Studio playing the file at its rate",
    )
    args = ap.parse_args()
    w, h = (int(v) for v in args.size.split("x"))
    wanted = {s.strip() for s in (args.only or "").split(",") if s.strip()}
    if "hard" in wanted:
        wanted |= set(liveclip.HARD_CLIPS)
    sources: dict[str, tuple[list[np.ndarray], list[Truth]]] = {}
    if not wanted or "clip" in wanted:
        clip = liveclip.make_clip((w, h))
        sources["clip"] = ([f.image for f in clip], [Truth(f.box, f.in_view) for f in clip])
    if not wanted or "demo" in wanted:
        sources["demo"] = demo_stream((w, h), args.demo_seconds)
    for name, phases in liveclip.HARD_CLIPS.items():
        if not wanted or name in wanted:
            hard = liveclip.make_clip((w, h), phases=phases, in_view=liveclip.PARTIAL_IN_VIEW)
            sources[name] = ([f.image for f in hard], [Truth(f.box, f.in_view) for f in hard])
    how = "every frame, in order" if args.every_frame else "a Studio at the file's rate"
    print(f"engine {args.engine}, {w}x{h}, {how}")
    rows = []
    with tempfile.TemporaryDirectory() as tmp_name:
        for name, (frames, truth) in sources.items():
            seen = sum(t.in_view for t in truth)
            print(f"\n{name}: {len(frames)} frames, a face in view in {seen}")
            for guard in [g.strip() for g in args.guards.split(",") if g.strip()]:
                tally = Tally(name, guard, args.dump, args.dump_every)
                how = run_every_frame if args.every_frame else run
                c = how(name, frames, truth, args.engine, guard, Path(tmp_name), tally)
                face = c.get("swapped", 0) + c.get("guarded", 0) + c.get("leaked", 0)
                none = c.get("none", 0)
                print(
                    f"  guard {guard:<5} out: face in view {face} (swapped "
                    f"{c.get('swapped', 0)} = {c.get('swapped', 0) / max(face, 1):.1%}, guarded "
                    f"{c.get('guarded', 0)}, leaked {c.get('leaked', 0)}); no face {none}; "
                    f"swap drawn on no face {c.get('drawn', 0)}; changed after the face went "
                    f"{c.get('left_over', 0)} (longest run {c.get('left_over_run', 0)}); "
                    f"tracker {c['status.tracker']}; status: frames_guarded "
                    f"{c['status.frames_guarded']}, false_swaps_prevented "
                    f"{c['status.false_swaps_prevented']}"
                )
                rows.append((name, guard, face, c))
    print("\nsummary (targets with the guard on: 0 leaked, 0 drawn, 0 changed after the face went)")
    print(
        f"  {'source':<12} {'guard':<5} {'face':>5} {'swapped':>8} {'guarded':>8} {'leaked':>7} "
        f"{'drawn':>6} {'left':>5}"
    )
    for name, guard, face, c in rows:
        print(
            f"  {name:<12} {guard:<5} {face:>5} {c.get('swapped', 0):>8} "
            f"{c.get('guarded', 0):>8} {c.get('leaked', 0):>7} {c.get('drawn', 0):>6} "
            f"{c.get('left_over', 0):>5}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
