"""File jobs: how fast a job swaps a 720p video, and what a job costs the live path.

    .venv/bin/python -m benchmarks.jobs [--engine classic] [--seconds 10] [--live-seconds 8]

In one run:

1. job: a 10 s 1280x720 clip at 30 fps with one face in view throughout (a slow pan over
   scikit-image's astronaut) swapped by ``run_job`` in this process
   (the group photo's leftmost face as the source); its frames per second, from the start
   (engine and source face included) and over the frames alone;
2. live alone: a Studio (the backend's own: file source, capture and process threads, the
   face_swap processor) on a 640x480 clip with the swap on; fps out over ``--live-seconds``
   after a 2 s warm-up;
3. live beside a job: the same, while the 720p job runs in a separate process (multiprocessing,
   spawn) at lower priority (``os.nice(10)`` in the child, as the job workers run); the job's
   own fps there too.

Targets: job >= 12 fps at 720p; live keeps >= 0.9 of its rate beside a job. Prints the
figures and ratios; asserts nothing, exit 0 whatever they are.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import tempfile
import time
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from ar_backend.config import BackendConfig, FaceConfig
from ar_backend.face import samples
from ar_backend.jobs.render import run_job
from ar_backend.jobs.spec import JobCancelled, JobSpec, Progress
from ar_backend.studio import Studio

JOB_TARGET_FPS = 12.0
LIVE_KEPT_TARGET = 0.9
CHILD_NICE = 10


def write_clip(path: Path, size: tuple[int, int], frames: int, fps: int = 30) -> None:
    """A slow pan over the astronaut, her face in view in every frame (about a third of the
    frame's height), written as MP4 (mp4v) with OpenCV."""
    w, h = size
    photo = samples.astronaut()
    scale = w * 1.08 / photo.shape[1]
    big = cv2.resize(photo, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    face_y = (76 + 166) / 2 * scale  # her face's centre row in the scaled photo
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"mp4v"), fps, (w, h))
    for i in range(frames):
        t = 0.5 - 0.5 * np.cos(2 * np.pi * i / frames)
        x = int((big.shape[1] - w) * t)
        y = int(np.clip(face_y - h * (0.45 + 0.1 * t), 0, big.shape[0] - h))
        writer.write(big[y : y + h, x : x + w])
    writer.release()


def job_child(spec: JobSpec, face_cfg: FaceConfig, report: Any, stop: Any) -> None:
    """The job in its own process at lower priority: reports ("started", frames) at its
    first frame, then ("done" | "stopped", (frames, seconds since that first frame))."""
    os.nice(CHILD_NICE)
    seen: list[tuple[float, int]] = []

    def progress(p: Progress) -> None:
        seen.append((time.monotonic(), p.frames_done))
        if p.frames_done > 0 and len([s for s in seen if s[1] > 0]) == 1:
            report.put(("started", p.frames_done))

    def since_first() -> tuple[int, float]:
        going = [s for s in seen if s[1] > 0]
        if not going:
            return 0, 0.0
        return going[-1][1] - going[0][1], going[-1][0] - going[0][0]

    try:
        run_job(spec, face_cfg, progress, stop.is_set)
    except JobCancelled:
        report.put(("stopped", since_first()))
        return
    report.put(("done", since_first()))


def live_fps(config: BackendConfig, clip: Path, seconds: float, face: Path) -> float:
    """fps out of an in-process Studio swapping the clip, over ``seconds`` after warm-up."""
    studio = Studio(config)
    try:
        studio.face.load_image(face.read_bytes(), 0, face.name)
        studio.face.start()
        studio.camera_start(f"file:{clip}", from_api=False)
        time.sleep(2.0)
        a = studio.camera_status()["frames_out"]
        t0 = time.monotonic()
        time.sleep(seconds)
        b = studio.camera_status()["frames_out"]
        return float((b - a) / (time.monotonic() - t0))
    finally:
        studio.close()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    ap.add_argument("--engine", default="classic")
    ap.add_argument("--seconds", type=float, default=10.0, help="length of the 720p job clip")
    ap.add_argument("--live-seconds", type=float, default=8.0)
    args = ap.parse_args()

    face_cfg = FaceConfig(engine=args.engine, state_dir=None)
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        face = tmp / "group.png"
        cv2.imwrite(str(face), samples.group())
        job_clip = tmp / "job-1280x720.mp4"
        write_clip(job_clip, (1280, 720), frames=round(args.seconds * 30))
        live_clip = tmp / "live-640x480.mp4"
        write_clip(live_clip, (640, 480), frames=120)
        print(f"engine {args.engine}, {os.cpu_count()} CPUs")

        # 1. the job alone, in this process
        marks: list[tuple[float, int]] = []
        spec = JobSpec(job_clip, tmp / "out-alone.mp4", face, face_index=0, engine=args.engine)
        result = run_job(
            spec, face_cfg, lambda p: marks.append((time.monotonic(), p.frames_done)), lambda: False
        )
        going = [m for m in marks if m[1] > 0]
        span = going[-1][0] - going[0][0] if len(going) > 1 else 0.0
        frames_fps = (going[-1][1] - going[0][1]) / span if span > 0 else result.fps
        print(
            f"\njob 1280x720, {result.frames} frames: {result.fps:.1f} fps overall "
            f"({result.seconds:.1f} s, engine and source face included), {frames_fps:.1f} fps "
            f"over the frames; swapped {result.frames_swapped}/{result.frames}; "
            f"target {JOB_TARGET_FPS:.0f}: ratio {result.fps / JOB_TARGET_FPS:.2f}"
        )

        # 2. live alone; 3. live beside the job in a lower-priority process
        config = BackendConfig.model_validate(
            {
                "camera": {"source": f"file:{live_clip}", "fps": 30, "width": 640, "height": 480},
                "media": {"folders": [str(tmp)]},
                "monitor": {"enabled": False},
                "pipeline": {"processors": ["face_swap"], "stats_window": 400},
                "face": {"engine": args.engine, "sources_dir": str(tmp), "state_dir": None},
            }
        )
        alone = live_fps(config, live_clip, args.live_seconds, face)
        print(f"\nlive 640x480, swap on, alone: {alone:.1f} fps out (source 30)")

        ctx = mp.get_context("spawn")
        report = ctx.Queue()
        stop = ctx.Event()
        spec = JobSpec(job_clip, tmp / "out-beside.mp4", face, face_index=0, engine=args.engine)
        child = ctx.Process(target=job_child, args=(spec, face_cfg, report, stop), daemon=True)
        child.start()
        report.get(timeout=120)  # ("started", n): the job's engine and face are ready
        beside = live_fps(config, live_clip, args.live_seconds, face)
        throughout = child.is_alive()
        stop.set()
        kind, (frames, seconds) = report.get(timeout=120)
        child.join(timeout=30)
        kept = beside / alone if alone else 0.0
        job_beside = frames / seconds if seconds > 0 else 0.0
        print(
            f"live 640x480, swap on, beside a nice {CHILD_NICE} job: {beside:.1f} fps out; "
            f"kept {kept:.2f} of its rate (target {LIVE_KEPT_TARGET})"
            + ("" if throughout else " [the job ended before the measure did]")
        )
        print(
            f"job 1280x720 beside the live path (nice {CHILD_NICE}): {job_beside:.1f} fps "
            f"({frames} frames in {seconds:.1f} s, then {kind})"
        )
        print("\nsummary")
        print(
            f"  job 720p fps        {result.fps:5.1f}  target {JOB_TARGET_FPS:.0f}  "
            f"ratio {result.fps / JOB_TARGET_FPS:.2f}  (frames alone {frames_fps:.1f})"
        )
        print(f"  live alone fps      {alone:5.1f}")
        print(f"  live beside job fps {beside:5.1f}  kept {kept:.2f}  target {LIVE_KEPT_TARGET}")
        print(f"  job beside live fps {job_beside:5.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
