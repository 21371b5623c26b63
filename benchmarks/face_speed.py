"""Face-swap speed: per-stage milliseconds and end-to-end fps through the real pipeline.

    .venv/bin/python -m benchmarks.face_speed [--engine classic|inswapper|hyperswap]
        [--enhancer off|gfpgan_1.4|gpen_bfr_256|gpen_bfr_512] [--enhancer-strength 0.8]
        [--occlusion on|off] [--background off|blur|color] [--background-blur 0.5]
        [--models-dir models] [--seconds 8] [--warmup 3] [--detect-every 5] [--work-px 256]
        [--scenarios one@640x480,one@1280x720,group@640x480,one@1920x1080,one@1280x720x60]
        [--backend one@1920x1080,one@1280x720x60] [--preview off|full|WIDTH] [--record]

For each scenario a 30 fps MP4 is written (a slow pan over the picture, so tracking has
work to do): ``one`` is scikit-image's astronaut (one face), ``group`` insightface's t1.jpg
(five to six faces, all swapped). The source face is the group's leftmost for ``one``, the
astronaut for ``group``. Then:

1. stages: the engine alone on the first frame: detection (at the configured detect size),
   one landmark refit per face, rendering all faces, the enhancer on the rendered faces,
   occlusion (hands and objects in front of the rendered faces: the palm detector, hand
   landmarks, person segmentation around each face, the object mask and the put-back) and
   the background (person segmentation on the frame, the blur or colour, the blend); the
   mean of 10 runs each (occlusion: a palm search on each, as on every 5th live frame), in
   wall ms and in this thread's CPU ms (which a machine busy with other work disturbs far
   less);
2. pipeline: a Studio (the backend's own domain object: file source, capture thread, process
   thread with the face_swap processor, and the background processor when one is asked for)
   runs the clip for ``--seconds`` after a 2 s warm-up; fps out is the frame counter's delta
   over the time, with the drop counter and the pipeline's latency p50/p95 and mean stage ms
   (face.detect on detection frames, face.track between them, face.render, face.enhance,
   face.occlusion, background), and the provider each model's session really got.

3. ``one@1920x1080`` (a 30 fps source) and ``one@1280x720x60`` (60 fps), and any scenario
   named in ``--backend`` or with a rate (``KIND@WxHxFPS``), run through a real backend
   process instead (benchmarks/live_backend.py): an H.264 clip at that size and rate, the
   face loaded and the swap switched on over HTTP, a viewer on the preview with
   ``--preview`` (at the width the window asks for) and a recording with ``--record``;
   printed: fps out against the source's rate, latency p50/p95, each stage's mean and p95
   wall ms and CPU ms (capture and decoding, the wait for the process thread, each processor
   and the face's parts, the preview's JPEG, the recording's conversion and encoder), the
   backend's CPU ms per frame out (all threads) and the share of frames out swapped, with
   the machine's load average. Their target is the source's rate.

Occlusion is on by default, as the studio's default (``--occlusion off`` to compare);
the background is off unless ``--background`` names a mode. Both need MediaPipe's files
(``python -m ar_backend.weights fetch``): without them the benchmark says so and runs
without.

The neural engines and enhancers take the real model files from ``--models-dir`` when they
are there and pass the manifest's size and SHA-256 check (a GPU machine, or a user's). Where
they are not (these test machines), the benchmark builds the tests' small stand-in models
with the real files' inputs and outputs (tests/face/onnx_models.py, onnx_hyperswap.py,
onnx_enhancers.py) and a picture their stand-in detector finds a face in, runs ``one``
scenarios only, and says that the figures are not the real models'.

Faces are followed as the live path follows them: MediaPipe's detector and mesh on every
frame when their files are there (the stages print their ms: detection, one mesh fit, a
whole frame of following), else dlib's path (detection every ``--detect-every`` frames).

Targets on a 2-core machine: 30 fps at 640x480 and at 1280x720 with one face (issue 23: at
least 0.95 of it with detection and the mesh on every frame), 15 fps with five faces at
640x480. The ratio printed is fps out / target. Exit 0 whatever the figures.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

from ar_backend.__main__ import opencv_threads
from ar_backend.background.compose import face_region
from ar_backend.background.render import Renderer, Snapshot
from ar_backend.config import BackendConfig, BackgroundConfig, FaceConfig, FaceOptions
from ar_backend.face import samples
from ar_backend.face.detect.base import model_files
from ar_backend.face.engines import Engine, create_engine, engine_types
from ar_backend.face.enhancers import OFF, create_enhancer, unavailable_reason
from ar_backend.face.faces import detect_faces, picture_faces
from ar_backend.face.live.follow import mediapipe_follower
from ar_backend.face.occlusion.live import Occlusion
from ar_backend.studio import Studio
from benchmarks import live_backend

# one face: the live rate at 640x480 and 1280x720 (issue 23: with detection and the mesh on
# every frame, at least 0.95 of it); five faces: 15 fps
TARGETS = {"one@640x480": 30.0, "one@1280x720": 30.0, "group@640x480": 15.0}
# through a real backend process (benchmarks/live_backend.py): the target is the source's rate
BACKEND_SCENARIOS = ("one@1920x1080", "one@1280x720x60")


def write_clip(
    path: Path,
    image: np.ndarray,
    size: tuple[int, int],
    frames: int = 120,
    keep: np.ndarray | None = None,
) -> None:
    """A slow pan over ``image`` keeping the box ``keep`` (its faces) in view
    (live_backend.pan_offsets)."""
    w, h = size
    ih, iw = image.shape[:2]
    scale = max(w / iw, h / ih) * 1.08  # a little larger than the frame, to pan over
    # (scaled up smoothly, as a camera's picture: INTER_AREA would make 4 px blocks at 1080p)
    smooth = cv2.INTER_CUBIC if scale > 1 else cv2.INTER_AREA
    big = cv2.resize(image, None, fx=scale, fy=scale, interpolation=smooth)
    kept = None if keep is None else np.asarray(keep, np.float64) * scale
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 30, size)
    for i in range(frames):
        t = 0.5 - 0.5 * np.cos(2 * np.pi * i / frames)
        x, y = live_backend.pan_offsets((big.shape[1], big.shape[0]), size, kept, t)
        writer.write(big[y : y + h, x : x + w])
    writer.release()


def faces_box(engine: Engine, picture: np.ndarray) -> np.ndarray | None:
    """The box round every face the engine finds in ``picture`` (None: none found)."""
    boxes = [f.box for f in picture_faces(engine, picture)]
    if not boxes:
        return None
    stacked = np.array(boxes, np.float64)
    return np.concatenate([stacked[:, :2].min(axis=0), stacked[:, 2:].max(axis=0)])


def stage_times(  # type: ignore[no-untyped-def]
    engine, enhancer, frame, source, opts, occlusion, backdrop, follower=None
) -> dict[str, float]:
    """Each stage's mean wall ms over 10 runs, and ``<stage>_cpu``: this thread's CPU ms
    (LiteRT runs on the calling thread with one thread: a figure a busy machine disturbs
    far less than the wall time)."""
    out: dict[str, float] = {}

    def timed(name, fn):  # type: ignore[no-untyped-def]
        t0, c0 = time.perf_counter(), time.thread_time()
        for _ in range(10):
            result = fn()
        out[name] = (time.perf_counter() - t0) * 100
        out[f"{name}_cpu"] = (time.thread_time() - c0) * 100
        return result

    if follower is not None:  # MediaPipe's, as the live path runs them on every frame
        found = timed("mp_detect", lambda: follower.detector.detect(frame))
        mesh = follower.landmarker
        if found:
            roi = mesh.roi_for(max(found, key=lambda f: f.score))
            timed("mp_mesh", lambda: mesh.fit(frame, roi))
        timed("mp_frame", lambda: follower.update(engine, frame, opts))
        follower.reset()
    faces = timed("detect", lambda: detect_faces(engine, frame, opts))
    if not opts.many_faces and faces:
        faces = [max(faces, key=lambda f: f.size)]
    timed("refit", lambda: [engine.refit(frame, f) for f in faces])
    rendered = timed("render", lambda: engine.render(frame.copy(), faces, source, opts))
    if enhancer is not None:
        strength = opts.enhancer_strength
        timed("enhance", lambda: enhancer.enhance(rendered, faces, strength))
    if occlusion is not None:
        occlusion.put_back(frame, rendered, faces)  # (its models opened)

        def occlude():  # type: ignore[no-untyped-def]
            occlusion.reset()  # a palm search each time (live: every 5th frame)
            return occlusion.put_back(frame, rendered, faces)

        timed("occlusion", occlude)
    if backdrop is not None:
        renderer, snap = backdrop
        keep = [face_region(f.points, f.box) for f in faces]
        renderer.render(rendered, snap, keep)  # (its model opened)
        timed("background", lambda: renderer.render(rendered, snap, keep))
    out["faces"] = len(faces)
    return out


STAND_IN_NOTE = (
    "STAND-IN MODELS: the real model files are not here, so these are the tests' small "
    "models with the real files' inputs and outputs; the figures are NOT the real models'"
)


def models_for(args: argparse.Namespace, tmp: Path) -> tuple[FaceConfig, bool, str]:
    """The face config to run, whether it uses stand-in models, and why (the reason the
    real files could not be used)."""
    cfg = FaceConfig(
        engine=args.engine,
        models_dir=args.models_dir,
        options=FaceOptions(enhancer=args.enhancer, enhancer_strength=args.enhancer_strength),
    )
    neural = args.engine != "classic" or args.enhancer != OFF
    reasons = [
        r
        for r in (
            engine_types()[args.engine].check(cfg) if args.engine != "classic" else None,
            unavailable_reason(args.enhancer, cfg),
        )
        if r
    ]
    if not neural or not reasons:
        return cfg, False, ""
    from tests.face.onnx_enhancers import build_enhancer
    from tests.face.onnx_hyperswap import build_hyperswap
    from tests.face.onnx_models import build_models

    models = tmp / "stand-in-models"
    build_models(models, dynamic_detector=True)
    build_hyperswap(models / cfg.hyperswap.model)
    for name, size in (("gfpgan_1.4", 512), ("gpen_bfr_256", 256), ("gpen_bfr_512", 512)):
        build_enhancer(models / cfg.enhancer.models[name], size=size)
    stand_in = cfg.model_copy(
        update={"models_dir": str(models), "models_manifest": str(tmp / "no-manifest.yaml")}
    )
    return stand_in, True, "; ".join(reasons)


def backend_run(  # type: ignore[no-untyped-def]
    args: argparse.Namespace, cfg: FaceConfig, scenario: str, pictures, sources, keeps
) -> live_backend.Run:
    """A scenario through a real backend: the same pictures, face and options."""
    sc = live_backend.parse_scenario(scenario)
    src_img, _face = sources[sc.kind]  # (the backend numbers faces from the left: 0)
    options = {
        "detect_every": args.detect_every,
        "detect_size": args.detect_size,
        "blend": args.blend,
        "likeness": args.likeness,
        "work_px": args.work_px,
        "enhancer": args.enhancer,
        "enhancer_strength": args.enhancer_strength,
        "occlusion": args.occlusion,
        "many_faces": sc.kind == "group",
    }
    preview = {"off": None, "full": 0}.get(args.preview)
    if preview is None and args.preview != "off":
        preview = int(args.preview)
    return live_backend.Run(
        scenario=sc,
        picture=pictures[sc.kind],
        keep=keeps[sc.kind],
        face_png=samples.encode(src_img, ".png"),
        face_index=0,
        face={
            "engine": args.engine,
            "models_dir": str(Path(cfg.models_dir).absolute()),
            "models_manifest": str(Path(cfg.models_manifest).absolute()),
            "detect_thread": not args.inline_detect,
            "options": options,
        },
        seconds=args.seconds,
        warmup=args.warmup,
        preview_width=preview,
        record=args.record,
    )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--engine", default="classic", choices=sorted(engine_types()))
    ap.add_argument(
        "--enhancer",
        default=OFF,
        choices=[OFF, "gfpgan_1.4", "gpen_bfr_256", "gpen_bfr_512"],
        help="the face enhancer on the swapped faces",
    )
    ap.add_argument("--enhancer-strength", type=float, default=FaceOptions().enhancer_strength)
    ap.add_argument("--models-dir", default="models")
    ap.add_argument("--seconds", type=float, default=8.0)
    ap.add_argument(
        "--warmup",
        type=float,
        default=3.0,
        help="backend scenarios: seconds before the measurement (the governor takes about "
        "1.5 s a step: 15 s lets it settle where a source needs many steps)",
    )
    ap.add_argument("--scenarios", default=",".join([*TARGETS, *BACKEND_SCENARIOS]))
    ap.add_argument(
        "--backend",
        default=",".join(BACKEND_SCENARIOS),
        help="scenarios run through a real backend process (KIND@WxH[xFPS])",
    )
    ap.add_argument(
        "--preview",
        default="off",
        help="while a backend scenario runs, a viewer watches the preview: off, full, or a "
        "width in px (as the window asks)",
    )
    ap.add_argument("--record", action="store_true", help="record during backend scenarios")
    ap.add_argument("--detect-every", type=int, default=FaceOptions().detect_every)
    ap.add_argument("--detect-size", type=int, default=FaceOptions().detect_size)
    ap.add_argument("--blend", default=FaceOptions().blend, choices=["seamless", "feather"])
    ap.add_argument(
        "--work-px",
        type=int,
        default=FaceOptions().work_px,
        help="the classic render's working size (the governor may go lower on its own)",
    )
    ap.add_argument(
        "--likeness",
        type=float,
        default=FaceOptions().likeness,
        help="the classic engine's likeness (0: its render before issue 13's part 6)",
    )
    ap.add_argument("--occlusion", default=FaceOptions().occlusion, choices=["on", "off"])
    ap.add_argument(
        "--background",
        default="off",
        choices=["off", "blur", "color"],
        help="the background behind the person (its cost per frame is printed)",
    )
    ap.add_argument("--background-blur", type=float, default=BackgroundConfig().blur)
    ap.add_argument(
        "--inline-detect",
        action="store_true",
        help="detect on the frame that is due (face.detect_thread: false) to compare",
    )
    args = ap.parse_args()

    tmp_dir = tempfile.TemporaryDirectory()
    tmp = Path(tmp_dir.name)
    cv2.setNumThreads(opencv_threads(0, os.cpu_count()))  # as the backend sets it
    cfg, stand_in, why = models_for(args, tmp)
    engine = create_engine(args.engine, cfg)
    enhancer = None if args.enhancer == OFF else create_enhancer(args.enhancer, cfg)
    if stand_in:
        from tests.face.onnx_models import face_image

        # the stand-in detector finds one bright blob: one face per picture
        astro = face_image(seed=1, size=(720, 960), centre=(480, 360), axes=(110, 140))
        group = face_image(seed=7, size=(480, 480), centre=(240, 240), axes=(90, 115))
        left = picture_faces(engine, group)[0]
        args.scenarios = ",".join(s for s in args.scenarios.split(",") if s.startswith("one"))
    else:
        astro, group = samples.astronaut(), samples.group()
        left = sorted(picture_faces(engine, group), key=lambda f: float(f.box[0]))[0]
    sources = {
        "one": (group, left),
        "group": (astro, picture_faces(engine, astro)[0]) if not stand_in else (group, left),
    }
    pictures = {"one": astro, "group": group}
    # the clips pan with the faces kept in view (a presenter before the camera)
    keeps = {kind: faces_box(engine, picture) for kind, picture in pictures.items()}
    if stand_in:
        print(f"{STAND_IN_NOTE}.\n  (real files: {why})")
    info = engine.info().model_dump()
    print(
        f"engine {args.engine} on {info.get('provider')}"
        + (f" [{info['gpu_warning']}]" if info.get("gpu_warning") else "")
        + f", blend {args.blend}, detect every {args.detect_every} at {args.detect_size} px "
        f"({'inline' if args.inline_detect else 'in its own thread'})"
    )
    background = BackgroundConfig(mode=args.background, blur=args.background_blur)
    files = model_files(cfg)
    occlusion = Occlusion(files) if args.occlusion == "on" else None
    if occlusion is not None and (reason := occlusion.unavailable_reason()):
        print(f"occlusion: off here ({reason})")
        args.occlusion, occlusion = "off", None
    backdrop = None
    if background.mode != "off":
        renderer = Renderer(files)
        if reason := renderer.unavailable_reason():
            print(f"background: off here ({reason})")
            background = BackgroundConfig()
        else:
            backdrop = (renderer, Snapshot(background))
    print(
        f"occlusion {args.occlusion}, background {background.mode}"
        + (f" {background.blur:g}" if background.mode == "blur" else "")
    )
    if enhancer is not None:
        einfo = enhancer.info()
        print(
            f"enhancer {args.enhancer} (strength {args.enhancer_strength}) on "
            f"{einfo.get('provider')}"
            + (f" [{einfo['gpu_warning']}]" if einfo.get("gpu_warning") else "")
        )
    results = []
    with tmp_dir:
        for scenario in [s.strip() for s in args.scenarios.split(",") if s.strip()]:
            if scenario in args.backend.split(",") or scenario.count("x") == 2:
                res = live_backend.run(backend_run(args, cfg, scenario, pictures, sources, keeps))
                live_backend.print_result(res)
                results.append((scenario, res["fps_out"], res["source_fps"]))
                continue
            kind, _, res = scenario.partition("@")
            w, h = (int(v) for v in res.split("x"))
            many = kind == "group"
            opts = FaceOptions(
                many_faces=many,
                detect_every=args.detect_every,
                detect_size=args.detect_size,
                blend=args.blend,
                likeness=args.likeness,
                work_px=args.work_px,
                enhancer=args.enhancer,
                enhancer_strength=args.enhancer_strength,
                occlusion=args.occlusion,
            )
            clip = tmp / f"{kind}-{w}x{h}.mp4"
            write_clip(clip, pictures[kind], (w, h), keep=keeps[kind])
            _ok, first = cv2.VideoCapture(str(clip)).read()
            src_img, src_face = sources[kind]
            source = engine.prepare_source(src_img, src_face)
            follower, _why = mediapipe_follower(cfg)
            stages = stage_times(
                engine, enhancer, first, source, opts, occlusion, backdrop, follower
            )
            processors = ["face_swap"] + (["background"] if backdrop is not None else [])

            config = BackendConfig.model_validate(
                {
                    "camera": {"source": f"file:{clip}", "fps": 30, "width": w, "height": h},
                    "media": {"folders": [str(tmp)]},
                    "monitor": {"enabled": False},
                    "pipeline": {"processors": processors, "stats_window": 400},
                    "background": background.model_dump(),
                    "face": {
                        "engine": args.engine,
                        "models_dir": cfg.models_dir,
                        "models_manifest": cfg.models_manifest,
                        "state_dir": None,
                        "sources_dir": str(tmp),
                        "detect_thread": not args.inline_detect,
                        "options": opts.model_dump(),
                    },
                }
            )
            studio = Studio(config)
            studio.face.engines.use(engine)
            studio.face.load_image(samples.encode(src_img), 0 if kind == "one" else None, "src")
            studio.face.start()
            studio.camera_start(f"file:{clip}", from_api=False)
            time.sleep(2.0)
            a = studio.camera_status().model_dump()
            fa = studio.face.status().model_dump()
            t0 = time.monotonic()
            time.sleep(args.seconds)
            b = studio.camera_status().model_dump()
            elapsed = time.monotonic() - t0
            face = studio.face.status().model_dump()
            live_background = studio.background.status()
            pipeline_ms = studio.pipeline.stats().stage_ms
            studio.face.engines.forget(args.engine)  # shared across scenarios: kept open
            studio.close()
            fps = (b["frames_out"] - a["frames_out"]) / elapsed
            swapped = face["frames_swapped"] - fa["frames_swapped"]
            missed = face["frames_without_face"] - fa["frames_without_face"]
            target = TARGETS.get(scenario, 30.0)
            results.append((scenario, fps, target))
            print(f"\n{scenario}: {stages['faces']} face(s) in the first frame")
            tracker = (face.get("detection") or {}).get("tracker")
            print(f"  faces followed by: {tracker}")
            if "mp_detect" in stages:
                nan = float("nan")
                print(
                    f"  stages (MediaPipe on LiteRT, ms wall / CPU): detect "
                    f"{stages['mp_detect']:.1f} / {stages['mp_detect_cpu']:.1f}  mesh "
                    f"{stages.get('mp_mesh', nan):.1f} / {stages.get('mp_mesh_cpu', nan):.1f} "
                    f"per face  whole frame (detect, meshes, follow) {stages['mp_frame']:.1f} / "
                    f"{stages['mp_frame_cpu']:.1f}"
                )
            print(
                f"  stages (engine alone, ms wall / CPU): detect {stages['detect']:.1f} / "
                f"{stages['detect_cpu']:.1f}  refit {stages['refit']:.1f} / "
                f"{stages['refit_cpu']:.1f}  render {stages['render']:.1f} / "
                f"{stages['render_cpu']:.1f}"
                + (f"  enhance {stages['enhance']:.1f}" if "enhance" in stages else "")
                + "".join(
                    f"  {name} {stages[name]:.1f} / {stages[name + '_cpu']:.1f}"
                    for name in ("occlusion", "background")
                    if name in stages
                )
            )
            print(
                f"  pipeline: fps out {fps:.1f} (source 30), dropped "
                f"{b['dropped_frames'] - a['dropped_frames']}, latency p50 "
                f"{b['latency_ms']['p50']} ms p95 {b['latency_ms']['p95']} ms"
            )
            print(f"  pipeline stage ms (mean): {face['stage_ms']}")
            if args.occlusion == "on":
                live_occlusion = face.get("occlusion") or {}
                print(
                    f"  occlusion live: {live_occlusion.get('ms')} ms per frame with a face, "
                    f"hands {live_occlusion.get('hands')}, frames with something put back "
                    f"{live_occlusion.get('frames_occluded')}"
                )
            if backdrop is not None:
                print(
                    f"  background live ({background.mode}): {live_background.ms} ms per "
                    f"frame (pipeline stage {pipeline_ms.get('background')} ms)"
                )
            live_enhancer = face.get("enhancer") or {}
            if args.enhancer != OFF:
                print(
                    f"  enhancer live: {live_enhancer.get('ms_per_frame')} ms per frame on "
                    f"{live_enhancer.get('provider')}, keeps the live rate: "
                    f"{live_enhancer.get('keeps_live_rate')}"
                    + (f" ({live_enhancer['advice']})" if live_enhancer.get("advice") else "")
                )
            print(
                f"  frames with a face swapped: {swapped}/{swapped + missed} "
                f"({swapped / max(swapped + missed, 1):.0%})"
            )
            print(f"  target {target:.0f} fps: ratio {fps / target:.2f}")
    print("\nsummary" + (" (stand-in models: not the real models' figures)" if stand_in else ""))
    for scenario, fps, target in results:
        print(f"  {scenario:<15} {fps:5.1f} fps  target {target:.0f}  ratio {fps / target:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
