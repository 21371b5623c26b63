"""Face-swap speed: per-stage milliseconds and end-to-end fps through the real pipeline.

    .venv/bin/python -m benchmarks.face_speed [--engine classic] [--seconds 8]
        [--scenarios one@640x480,one@1280x720,group@640x480] [--detect-every 5]

For each scenario a 30 fps MP4 is written (a slow pan over the picture, so tracking has
work to do): ``one`` is scikit-image's astronaut (one face), ``group`` insightface's t1.jpg
(five to six faces, all swapped). The source face is the group's leftmost for ``one``, the
astronaut for ``group``. Then:

1. stages: the engine alone on the first frame: detection (at the configured detect size),
   one landmark refit per face, rendering all faces; the mean of 10 runs each;
2. pipeline: a Studio (the backend's own domain object: file source, capture thread, process
   thread with the face_swap processor) runs the clip for ``--seconds`` after a 2 s warm-up;
   fps out is the frame counter's delta over the time, with the drop counter and the
   pipeline's latency p50/p95 and mean stage ms (face.detect on detection frames,
   face.track between them, face.render).

Targets on a 2-core machine: 30 fps at 640x480 with one face, 20 fps at 1280x720, 15 fps with
five faces at 640x480. The ratio printed is fps out / target. Exit 0 whatever the figures.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

from ar_backend.config import BackendConfig, FaceConfig, FaceOptions
from ar_backend.face import samples
from ar_backend.face.engines import create_engine
from ar_backend.studio import Studio

TARGETS = {"one@640x480": 30.0, "one@1280x720": 20.0, "group@640x480": 15.0}


def write_clip(path: Path, image: np.ndarray, size: tuple[int, int], frames: int = 120) -> None:
    w, h = size
    ih, iw = image.shape[:2]
    scale = max(w / iw, h / ih) * 1.08  # a little larger than the frame, to pan over
    big = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 30, size)
    for i in range(frames):
        t = 0.5 - 0.5 * np.cos(2 * np.pi * i / frames)
        x = int((big.shape[1] - w) * t)
        y = int((big.shape[0] - h) * t)
        writer.write(big[y : y + h, x : x + w])
    writer.release()


def stage_times(engine, frame, source, opts) -> dict[str, float]:  # type: ignore[no-untyped-def]
    out: dict[str, float] = {}

    def timed(fn):  # type: ignore[no-untyped-def]
        t0 = time.perf_counter()
        for _ in range(10):
            result = fn()
        return (time.perf_counter() - t0) * 100, result

    out["detect"], faces = timed(lambda: engine.detect(frame, opts))
    if not opts.many_faces and faces:
        faces = [max(faces, key=lambda f: f.size)]
    out["refit"], _ = timed(lambda: [engine.refit(frame, f) for f in faces])
    out["render"], _ = timed(lambda: engine.render(frame.copy(), faces, source, opts))
    out["faces"] = len(faces)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--engine", default="classic")
    ap.add_argument("--models-dir", default="models")
    ap.add_argument("--seconds", type=float, default=8.0)
    ap.add_argument("--scenarios", default=",".join(TARGETS))
    ap.add_argument("--detect-every", type=int, default=FaceOptions().detect_every)
    ap.add_argument("--detect-size", type=int, default=FaceOptions().detect_size)
    ap.add_argument("--blend", default=FaceOptions().blend, choices=["seamless", "feather"])
    ap.add_argument(
        "--likeness",
        type=float,
        default=FaceOptions().likeness,
        help="the classic engine's likeness (0: its render before issue 13's part 6)",
    )
    ap.add_argument(
        "--inline-detect",
        action="store_true",
        help="detect on the frame that is due (face.detect_thread: false) to compare",
    )
    args = ap.parse_args()

    cfg = FaceConfig(engine=args.engine, models_dir=args.models_dir)
    engine = create_engine(args.engine, cfg)
    astro, group = samples.astronaut(), samples.group()
    left = sorted(engine.find_sources(group), key=lambda f: float(f.box[0]))[0]
    sources = {
        "one": (group, left),
        "group": (astro, engine.find_sources(astro)[0]),
    }
    pictures = {"one": astro, "group": group}
    print(
        f"engine {args.engine} ({engine.info().get('provider')}), blend {args.blend}, "
        f"detect every {args.detect_every} at {args.detect_size} px "
        f"({'inline' if args.inline_detect else 'in its own thread'})"
    )
    results = []
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        for scenario in [s.strip() for s in args.scenarios.split(",") if s.strip()]:
            kind, _, res = scenario.partition("@")
            w, h = (int(v) for v in res.split("x"))
            many = kind == "group"
            opts = FaceOptions(
                many_faces=many,
                detect_every=args.detect_every,
                detect_size=args.detect_size,
                blend=args.blend,
                likeness=args.likeness,
            )
            clip = tmp / f"{kind}-{w}x{h}.mp4"
            write_clip(clip, pictures[kind], (w, h))
            _ok, first = cv2.VideoCapture(str(clip)).read()
            src_img, src_face = sources[kind]
            source = engine.prepare_source(src_img, src_face)
            stages = stage_times(engine, first, source, opts)

            config = BackendConfig.model_validate(
                {
                    "camera": {"source": f"file:{clip}", "fps": 30, "width": w, "height": h},
                    "media": {"folders": [str(tmp)]},
                    "monitor": {"enabled": False},
                    "pipeline": {"processors": ["face_swap"], "stats_window": 400},
                    "face": {
                        "engine": args.engine,
                        "models_dir": args.models_dir,
                        "sources_dir": str(tmp),
                        "detect_thread": not args.inline_detect,
                        "options": opts.model_dump(),
                    },
                }
            )
            studio = Studio(config)
            studio.face._engines[args.engine] = engine
            studio.face.load_image(samples.encode(src_img), 0 if kind == "one" else None, "src")
            studio.face.start()
            studio.camera_start(f"file:{clip}", from_api=False)
            time.sleep(2.0)
            a = studio.camera_status()
            fa = studio.face.status()
            t0 = time.monotonic()
            time.sleep(args.seconds)
            b = studio.camera_status()
            elapsed = time.monotonic() - t0
            face = studio.face.status()
            studio.close()
            fps = (b["frames_out"] - a["frames_out"]) / elapsed
            swapped = face["frames_swapped"] - fa["frames_swapped"]
            missed = face["frames_without_face"] - fa["frames_without_face"]
            target = TARGETS.get(scenario, 30.0)
            results.append((scenario, fps, target))
            print(f"\n{scenario}: {stages['faces']} face(s) in the first frame")
            print(
                f"  stages (engine alone, ms): detect {stages['detect']:.1f}  "
                f"refit {stages['refit']:.1f}  render {stages['render']:.1f}"
            )
            print(
                f"  pipeline: fps out {fps:.1f} (source 30), dropped "
                f"{b['dropped_frames'] - a['dropped_frames']}, latency p50 "
                f"{b['latency_ms']['p50']} ms p95 {b['latency_ms']['p95']} ms"
            )
            print(f"  pipeline stage ms (mean): {face['stage_ms']}")
            print(
                f"  frames with a face swapped: {swapped}/{swapped + missed} "
                f"({swapped / max(swapped + missed, 1):.0%})"
            )
            print(f"  target {target:.0f} fps: ratio {fps / target:.2f}")
    print("\nsummary")
    for scenario, fps, target in results:
        print(f"  {scenario:<15} {fps:5.1f} fps  target {target:.0f}  ratio {fps / target:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
