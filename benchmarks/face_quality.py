"""Face-swap quality, measured with dlib's face-recognition embedding.

    .venv/bin/python -m benchmarks.face_quality [--engine classic] [--blend seamless]
        [--out benchmarks/out/face_quality] [--frames 30] [--no-mesh]

Targets, all from packages (nothing downloaded): insightface's group photo t1.jpg (six
faces), scikit-image's astronaut, and 256 px crops of each group face. The astronaut is the
source for the group photo and the crops; the group's leftmost face is the source for the
astronaut. Each output face is scored by dlib's descriptor
(dlib_face_recognition_resnet_model_v1.dat):

* moved: the output lies nearer the source identity than the original face did
  (d(out, src) < d(orig, src)); crossed: nearer the source than its own original
  (d(out, src) < d(out, orig)). dlib calls two faces the same person under 0.6.
* background: mean absolute change (0..255) of the pixels away from every face (paste-back
  must not touch them).
* flicker: a still input repeated as video through FaceSwap as live (detector every 5
  frames, tracking between): mean absolute change (0..255) of the face region from frame
  to frame, with the configured smoothing and with smoothing off.

Output images are written to --out for a person to look at. Targets: moved on >= 90% of
faces, background change ~0, still-input flicker ~0.

Live group (issue 23): the group photo as a still camera through FaceSwap as live (many
faces on, the live path's tracker: MediaPipe's detector and mesh on every frame where their
files are, --frames frames), the astronaut the source. For each of the six
faces (found in the original by the thorough picture detection): swapped (its pixels
changed), crossed (as above), and against the original picture:

* seam dE: the Lab colour difference (CIE76) between the band just inside the pasted
  region's edge and the band just outside it (quality.seam_delta_e: the region is what the
  swap changed), in the output and, on the same bands, in the original: a pasted mask of
  another colour or light raises the output's over the original's;
* detail: the mean squared Laplacian inside the pasted region, output / original
  (quality.detail_energy): a soft, waxy face falls under 1.

Targets: 6 of 6 swapped, at least 4 of 6 crossed, seam dE no more than the original's,
detail at least 0.8.

Likeness (issue 13): the same identity figures at ``likeness`` 0 (the engine as it was), the
default and 1.0, on the group set above and on a second set built from other pictures that
ship in packages: insightface's Tom_Hanks_54745.png (112 px, upscaled to 256) and the first
LFW_FACES faces of scikit-image's ``lfw_subset`` (25x25 grey, upscaled to 200 px with a
border) that dlib finds; the astronaut is their source. Per likeness: crossed (target: >= 50%
at the default), mean distances, and the seam dE and detail of the live group above
(output, original on the same bands, detail output / original).

Exit 0 whatever the figures.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import cv2
import numpy as np

from ar_backend.config import FaceConfig, FaceOptions
from ar_backend.face import samples
from ar_backend.face.detect.dlib_descriptor import DlibDescriptor
from ar_backend.face.engines import create_engine
from ar_backend.face.engines.classic import ClassicEngine
from ar_backend.face.faces import detect_faces, picture_faces
from ar_backend.face.imaging import geometry
from ar_backend.face.imaging.quality import (
    IdentityScorer,
    background_change,
    detail_energy,
    pasted_region,
    region_flicker,
    seam_delta_e,
)
from ar_backend.face.live.follow import FaceFollower, mediapipe_follower
from ar_backend.face.live.session import FaceSwap
from ar_backend.face.live.tracker import FaceTracker


def crops_of(image: np.ndarray, boxes: list[np.ndarray]) -> list[np.ndarray]:
    out = []
    for box in boxes:
        cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
        half = (box[2] - box[0]) * 1.1
        x0, y0 = int(max(0, cx - half)), int(max(0, cy - half))
        x1, y1 = int(min(image.shape[1], cx + half)), int(min(image.shape[0], cy + half))
        out.append(cv2.resize(image[y0:y1, x0:x1], (256, 256), interpolation=cv2.INTER_AREA))
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--engine", default="classic")
    ap.add_argument("--blend", default="seamless", choices=["seamless", "feather"])
    ap.add_argument("--models-dir", default="models")
    ap.add_argument("--out", default="benchmarks/out/face_quality")
    ap.add_argument("--frames", type=int, default=30, help="frames of the still-input video")
    ap.add_argument(
        "--no-mesh",
        action="store_true",
        help="classic on dlib's 68 points even where the face mesh's file is (the faces still "
        "followed by MediaPipe's detector and mesh live): the path the mesh replaced, to compare",
    )
    args = ap.parse_args()
    out_dir = Path(args.out)
    out_dir.mkdir(parents=True, exist_ok=True)

    cfg = FaceConfig(engine=args.engine, models_dir=args.models_dir)
    engine = create_engine(args.engine, cfg)
    if args.no_mesh and isinstance(engine, ClassicEngine):
        engine.mesher = None  # (sources are prepared without a mesh: the 68 points' render)
    scorer = IdentityScorer(DlibDescriptor())
    opts = FaceOptions(many_faces=True, blend=args.blend, detect_size=1280)

    group, astro = samples.group(), samples.astronaut()
    group_faces = sorted(picture_faces(engine, group), key=lambda f: float(f.box[0]))
    astro_face = picture_faces(engine, astro)[0]
    astro_src = engine.prepare_source(astro, astro_face)
    left_src = engine.prepare_source(group, group_faces[0])
    emb = {
        "astronaut": scorer.embed(astro, astro_face.box),
        "group-0": scorer.embed(group, group_faces[0].box),
    }
    targets = [("group", group, astro_src, "astronaut"), ("astronaut", astro, left_src, "group-0")]
    for i, crop in enumerate(crops_of(group, [f.box for f in group_faces])):
        targets.append((f"crop-{i}", crop, astro_src, "astronaut"))

    print(f"engine {args.engine} ({engine.info().provider}), blend {args.blend}")
    print(f"{'target':<11} {'face':>4} {'d_src':>6} {'d_orig':>6} {'d_before':>8}  moved crossed")
    rows, backgrounds = [], []
    for name, image, source, src_name in targets:
        faces = detect_faces(engine, image, opts)
        if not faces:
            print(f"{name:<11} no face detected")
            continue
        t0 = time.perf_counter()
        output = engine.render(image.copy(), faces, source, opts)
        ms = (time.perf_counter() - t0) * 1000
        cv2.imwrite(str(out_dir / f"{name}.png"), np.hstack([image, output]))
        backgrounds.append(background_change(image, output, [f.box for f in faces]))
        for j, face in enumerate(faces):
            score = scorer.score(image, output, face.box, emb[src_name])
            rows.append(score)
            print(
                f"{name:<11} {j:>4} {score.d_source:6.3f} {score.d_original:6.3f} "
                f"{score.d_before:8.3f}  {'yes' if score.moved else 'no':>5} "
                f"{'yes' if score.crossed else 'no':>7}   ({ms:.0f} ms render)"
            )
    moved = sum(r.moved for r in rows)
    crossed = sum(r.crossed for r in rows)
    print()
    print(f"faces scored            {len(rows)}")
    print(f"moved toward source     {moved}/{len(rows)} = {moved / max(len(rows), 1):.0%}")
    print(f"crossed to source       {crossed}/{len(rows)} = {crossed / max(len(rows), 1):.0%}")
    print(f"mean d(out, source)     {np.mean([r.d_source for r in rows]):.3f}")
    print(f"mean d(out, original)   {np.mean([r.d_original for r in rows]):.3f}")
    print(f"mean d(original, src)   {np.mean([r.d_before for r in rows]):.3f}")
    print(f"background change       {np.mean(backgrounds):.4f} (0..255, away from faces)")

    for smoothing in (FaceOptions().smoothing, 0.0):
        swap = FaceSwap(cfg.model_copy(update={"options": FaceOptions(smoothing=smoothing)}))
        swap.engines.use(engine)
        swap.load_image(samples.encode(astro), None, "astronaut.jpg")
        swap.start()
        tracker = FaceTracker()
        frames = [swap.process(group.copy(), tracker, {}) for _ in range(args.frames)]
        box = max(tracker.tracks, key=lambda f: f.size).box
        flicker = region_flicker(frames, box)
        print(
            f"still-input flicker     {flicker:.4f} (smoothing {smoothing}, "
            f"{args.frames} frames, {tracker.detections} detections)"
        )
    live_group(engine, cfg, scorer, astro, group, group_faces, emb["astronaut"], args, out_dir)
    likeness_table(engine, scorer, args, astro_src, emb["astronaut"], targets, out_dir)
    print(f"images in {out_dir}/")
    return 0


LFW_FACES = 10


def seam_and_detail(
    original: np.ndarray, output: np.ndarray, box: np.ndarray
) -> tuple[float, float, float]:
    """(seam dE of the output, seam dE of the original on the same bands, detail ratio) of
    the face pasted near ``box``."""
    region = pasted_region(original, output, box)
    size = geometry.box_size(box)
    energy = detail_energy(output, region, size) / max(detail_energy(original, region, size), 1e-6)
    return seam_delta_e(output, region, size), seam_delta_e(original, region, size), energy


SWAPPED_CHANGE = 4.0  # mean absolute change (0..255) over a face box: it was swapped


def live_group(engine, cfg, scorer, astro, group, truth, source_emb, args, out_dir) -> None:  # type: ignore[no-untyped-def]
    """The group photo through FaceSwap as live, many faces on (module docstring)."""
    swap = FaceSwap(cfg.model_copy(update={"options": FaceOptions(many_faces=True)}))
    swap.engines.use(engine)
    swap.load_image(samples.encode(astro), None, "astronaut.jpg")
    swap.start()
    # the live path's tracker (ar_backend/processors/face_swap.py): MediaPipe's detector and
    # mesh on every frame where its files are, else dlib's
    follower, why = mediapipe_follower(cfg)
    tracker: FaceFollower | FaceTracker = FaceTracker() if follower is None else follower
    output = group
    for _ in range(args.frames):
        output = swap.process(group.copy(), tracker, {})
    cv2.imwrite(str(out_dir / "group-live.png"), np.hstack([group, output]))
    print()
    print(f"live group ({args.frames} frames, many faces, tracker {tracker.name})")
    if why:
        print(f"(not MediaPipe's detector and mesh: {why})")
    print(f"{'face':>4} {'swapped':>7} {'d_src':>6} {'d_orig':>6} {'crossed':>7} "
          f"{'seam dE':>7} {'(orig)':>6} {'detail':>6}")  # fmt: skip
    swapped = crossed = 0
    seams, seams0, details = [], [], []
    for i, face in enumerate(truth):
        x0, y0, x1, y1 = (int(v) for v in face.box)
        change = float(np.abs(group[y0:y1, x0:x1].astype(np.int16) - output[y0:y1, x0:x1]).mean())
        if change < SWAPPED_CHANGE:
            print(f"{i:>4} {'no':>7}")
            continue
        score = scorer.score(group, output, face.box, source_emb)
        seam, seam0, detail = seam_and_detail(group, output, face.box)
        swapped += 1
        crossed += score.crossed
        seams.append(seam)
        seams0.append(seam0)
        details.append(detail)
        print(
            f"{i:>4} {'yes':>7} {score.d_source:6.3f} {score.d_original:6.3f} "
            f"{'yes' if score.crossed else 'no':>7} {seam:7.2f} {seam0:6.2f} {detail:6.2f}"
        )
    n = len(truth)
    print(f"swapped                 {swapped}/{n} (target {n}/{n})")
    print(f"crossed to source       {crossed}/{n} (target 4/{n})")
    if swapped:
        print(
            f"seam dE                 {np.mean(seams):.2f} (original {np.mean(seams0):.2f} on "
            f"the same bands; target: no more)"
        )
        print(
            f"detail (out / orig)     {np.mean(details):.2f} (lowest {min(details):.2f}; "
            "target >= 0.8)"
        )


def second_set(engine) -> list[tuple[str, np.ndarray]]:  # type: ignore[no-untyped-def]
    """Other faces from packages: Tom Hanks (insightface) and LFW faces (scikit-image)."""
    from skimage import data

    hanks = cv2.resize(samples.tom_hanks(), (256, 256), interpolation=cv2.INTER_CUBIC)
    out = [("hanks", hanks)]
    lfw = data.lfw_subset()
    for i in range(len(lfw)):
        grey = cv2.resize(
            (lfw[i] * 255).astype(np.uint8), (200, 200), interpolation=cv2.INTER_CUBIC
        )
        image = cv2.cvtColor(
            cv2.copyMakeBorder(grey, 50, 50, 50, 50, cv2.BORDER_REPLICATE), cv2.COLOR_GRAY2BGR
        )
        if len(picture_faces(engine, image)) == 1:
            out.append((f"lfw-{i}", image))
        if len(out) > LFW_FACES:
            break
    return out


def likeness_table(engine, scorer, args, source, source_emb, group_targets, out_dir) -> None:  # type: ignore[no-untyped-def]
    sets = {
        "group+crops": [
            (name, image) for name, image, _, src in group_targets if src == "astronaut"
        ],
        "second set": second_set(engine),
    }
    print()
    print("second set: " + ", ".join(name for name, _ in sets["second set"]))
    print(
        f"{'set':<12} {'likeness':>8} {'crossed':>9} {'d_src':>6} {'d_orig':>6} "
        f"{'seam dE':>8} {'(orig)':>7} {'detail':>6}"
    )
    for set_name, targets in sets.items():
        for likeness in (0.0, FaceOptions().likeness, 1.0):
            opts = FaceOptions(
                many_faces=True, blend=args.blend, detect_size=1280, likeness=likeness
            )
            rows, des, des0, details = [], [], [], []
            for name, image in targets:
                faces = detect_faces(engine, image, opts)
                if not faces:
                    continue
                output = engine.render(image.copy(), faces, source, opts)
                if set_name == "second set":
                    cv2.imwrite(
                        str(out_dir / f"{name}-likeness{likeness:g}.png"),
                        np.hstack([image, output]),
                    )
                for face in faces:
                    rows.append(scorer.score(image, output, face.box, source_emb))
                    de, de0, detail = seam_and_detail(image, output, face.box)
                    des.append(de)
                    des0.append(de0)
                    details.append(detail)
            crossed = sum(r.crossed for r in rows)
            share = crossed / max(len(rows), 1)
            d_src = np.mean([r.d_source for r in rows])
            d_orig = np.mean([r.d_original for r in rows])
            print(
                f"{set_name:<12} {likeness:>8.2f} {crossed:>3}/{len(rows):<3}{share:>4.0%}"
                f" {d_src:6.3f} {d_orig:6.3f}"
                f" {np.mean(des):8.2f} {np.mean(des0):7.2f} {np.mean(details):6.2f}"
            )


if __name__ == "__main__":
    raise SystemExit(main())
