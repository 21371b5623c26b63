"""Face-swap quality, measured with dlib's face-recognition embedding.

    .venv/bin/python -m benchmarks.face_quality [--engine classic] [--blend seamless]
        [--out benchmarks/out/face_quality] [--frames 30]

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
faces, background change ~0, still-input flicker ~0. Exit 0 whatever the figures.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import cv2
import numpy as np

from ar_backend.config import FaceConfig, FaceOptions
from ar_backend.face import samples
from ar_backend.face.engines import create_engine
from ar_backend.face.quality import IdentityScorer, background_change, region_flicker
from ar_backend.face.swapper import FaceSwap
from ar_backend.face.tracker import FaceTracker


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
    args = ap.parse_args()
    out_dir = Path(args.out)
    out_dir.mkdir(parents=True, exist_ok=True)

    cfg = FaceConfig(engine=args.engine, models_dir=args.models_dir)
    engine = create_engine(args.engine, cfg)
    scorer = IdentityScorer()
    opts = FaceOptions(many_faces=True, blend=args.blend, detect_size=1280)

    group, astro = samples.group(), samples.astronaut()
    group_faces = sorted(engine.find_sources(group), key=lambda f: float(f.box[0]))
    astro_face = engine.find_sources(astro)[0]
    astro_src = engine.prepare_source(astro, astro_face)
    left_src = engine.prepare_source(group, group_faces[0])
    emb = {
        "astronaut": scorer.embed(astro, astro_face.box),
        "group-0": scorer.embed(group, group_faces[0].box),
    }
    targets = [("group", group, astro_src, "astronaut"), ("astronaut", astro, left_src, "group-0")]
    for i, crop in enumerate(crops_of(group, [f.box for f in group_faces])):
        targets.append((f"crop-{i}", crop, astro_src, "astronaut"))

    print(f"engine {args.engine} ({engine.info().get('provider')}), blend {args.blend}")
    print(f"{'target':<11} {'face':>4} {'d_src':>6} {'d_orig':>6} {'d_before':>8}  moved crossed")
    rows, backgrounds = [], []
    for name, image, source, src_name in targets:
        faces = engine.detect(image, opts)
        if not faces:
            print(f"{name:<11} no face detected")
            continue
        t0 = time.perf_counter()
        output = engine.render(image.copy(), faces, source, opts)
        ms = (time.perf_counter() - t0) * 1000
        cv2.imwrite(str(out_dir / f"{name}.jpg"), np.hstack([image, output]))
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
        swap._engines[args.engine] = engine
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
    print(f"images in {out_dir}/")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
