"""The live swap through a real backend process, stage by stage (benchmarks/face_speed.py's
``one@1920x1080`` and ``one@1280x720x60`` scenarios, and any ``KIND@WxH[xFPS]`` asked for
with ``--backend``).

For a scenario, an H.264 MP4 at the scenario's size and rate is written (a slow pan over the
picture, as face_speed's clips, keeping the faces in view: :func:`pan_offsets`), a backend is
started on a free port with it as the camera (``python -m ar_backend --source CLIP``, the
studio's defaults otherwise: the face_swap and
overlay processors, the face options given), the source face is loaded over HTTP and the swap
switched on; optionally a viewer watches the preview (``/video_feed``, at ``preview_width``
when given) and a recording runs. After a warm-up, over ``seconds``:

- fps out against the source's rate, frames dropped, latency p50/p95 (capture to output);
- each stage's mean and p95 wall ms and its thread's CPU ms, from the backend's own figures
  (``/camera/status`` stages: capture, wait, each processor and the face's parts; the
  preview's JPEG; the recorder's conversion and encoder), and the backend process's CPU ms
  per frame out (all its threads: what two cores have to give);
- the share of frames out that were swapped, and of frames with a face that were;
- the machine's load average (the figures of a loaded machine are a direction only).
"""

from __future__ import annotations

import contextlib
import os
import socket
import tempfile
import threading
import time
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import cv2
import numpy as np
import requests
import yaml


@dataclass(frozen=True)
class Scenario:
    kind: str  # one, group
    width: int
    height: int
    fps: int

    @property
    def name(self) -> str:
        rate = "" if self.fps == 30 else f"x{self.fps}"
        return f"{self.kind}@{self.width}x{self.height}{rate}"


def parse_scenario(text: str) -> Scenario:
    """``one@1920x1080`` (30 fps) or ``one@1280x720x60``."""
    kind, _, res = text.strip().partition("@")
    parts = [int(v) for v in res.split("x")]
    if len(parts) not in (2, 3) or kind not in ("one", "group"):
        raise ValueError(f"a scenario is KIND@WxH or KIND@WxHxFPS, not {text!r}")
    return Scenario(kind, parts[0], parts[1], parts[2] if len(parts) == 3 else 30)


def pan_offsets(
    picture: tuple[int, int], frame: tuple[int, int], keep: np.ndarray | None, t: float
) -> tuple[int, int]:
    """Where the frame's window sits on the (scaled) picture at ``t`` (0..1 of the pan): from
    one end of the range to the other, within the range that keeps ``keep`` (the faces' box on
    the scaled picture, with a third of its size around it: forehead and chin) inside the
    frame: a moving face always in view, as a presenter before a camera. ``picture`` and
    ``frame`` are (width, height)."""
    offsets = []
    for axis in (0, 1):
        room = picture[axis] - frame[axis]
        lo, hi = 0, room
        if keep is not None:
            margin = (keep[axis + 2] - keep[axis]) / 3
            lo = max(0, int(np.ceil(keep[axis + 2] + margin - frame[axis])))
            hi = min(room, int(keep[axis] - margin))
            if lo > hi:  # the faces do not fit with their margin: centred on them
                lo = hi = int(np.clip((keep[axis] + keep[axis + 2] - frame[axis]) / 2, 0, room))
        offsets.append(int(lo + (hi - lo) * t))
    return offsets[0], offsets[1]


def write_h264_clip(
    path: Path,
    image: np.ndarray,
    size: tuple[int, int],
    fps: int,
    seconds: float = 4.0,
    keep: np.ndarray | None = None,
) -> None:
    """A slow pan over ``image`` (one cycle in ``seconds``) keeping the box ``keep`` (on the
    picture: its faces) in view, H.264 at ``fps``: the kind of file a camera or a screen
    recorder writes."""
    w, h = size
    ih, iw = image.shape[:2]
    scale = max(w / iw, h / ih) * 1.08
    # (scaled up smoothly, as a camera's picture: INTER_AREA would make 4 px blocks at 1080p)
    smooth = cv2.INTER_CUBIC if scale > 1 else cv2.INTER_AREA
    big = cv2.resize(image, None, fx=scale, fy=scale, interpolation=smooth)
    kept = None if keep is None else np.asarray(keep, np.float64) * scale
    frames = round(seconds * fps)
    with av.open(str(path), "w", format="mp4") as out:
        stream = out.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = w, h, "yuv420p"
        stream.options = {"preset": "veryfast", "crf": "20"}
        for i in range(frames):
            t = 0.5 - 0.5 * np.cos(2 * np.pi * i / frames)
            x, y = pan_offsets((big.shape[1], big.shape[0]), (w, h), kept, t)
            frame = av.VideoFrame.from_ndarray(
                np.ascontiguousarray(big[y : y + h, x : x + w]), format="bgr24"
            )
            frame.pts, frame.time_base = i, Fraction(1, fps)
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))


class PreviewViewer(threading.Thread):
    """Watches ``/video_feed`` (at ``width`` when given) as the window does; counts parts."""

    MARKER = b"\r\nX-Frame-Seq: "

    def __init__(self, url: str, width: int | None) -> None:
        super().__init__(name="preview-viewer", daemon=True)
        host, _, port = url.removeprefix("http://").partition(":")
        self.address = (host, int(port))
        self.path = "/video_feed" + (f"?width={width}" if width else "")
        self.parts = 0
        self.error: str | None = None
        self._halt = threading.Event()
        self._sock: socket.socket | None = None

    def run(self) -> None:
        try:
            sock = socket.create_connection(self.address, timeout=10)
            self._sock = sock
            sock.sendall(f"GET {self.path} HTTP/1.1\r\nHost: {self.address[0]}\r\n\r\n".encode())
            tail = b""
            while not self._halt.is_set():
                data = sock.recv(262144)
                if not data:
                    return
                buf = tail + data
                self.parts += buf.count(self.MARKER)
                tail = buf[-(len(self.MARKER) - 1) :]
        except OSError as exc:
            if not self._halt.is_set():
                self.error = f"{type(exc).__name__}: {exc}"

    def stop(self) -> None:
        self._halt.set()
        if self._sock is not None:
            with contextlib.suppress(OSError):
                self._sock.shutdown(socket.SHUT_RDWR)
        self.join(10)


@dataclass
class Run:
    """What a scenario is run with."""

    scenario: Scenario
    picture: np.ndarray  # the frames' picture (the faces to swap)
    keep: np.ndarray | None  # the faces' box on the picture: kept in view (pan_offsets)
    face_png: bytes  # the source face's picture
    face_index: int
    face: dict[str, Any]  # the face section of the backend's config
    seconds: float = 8.0
    warmup: float = 3.0
    preview_width: int | None = None  # None: nobody watches; 0: full size
    record: bool = False
    pipeline: dict[str, Any] = field(default_factory=dict)


def _cpu_s(pid: int) -> float:
    import psutil

    with contextlib.suppress(psutil.Error):
        t = psutil.Process(pid).cpu_times()
        return float(t.user + t.system)
    return float("nan")


def run(spec: Run) -> dict[str, Any]:
    """One scenario through a real backend: the figures, as described above."""
    from tests.procs import ServiceProcess

    sc = spec.scenario
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        media = tmp / "media"
        media.mkdir()
        clip = media / f"{sc.kind}-{sc.width}x{sc.height}-{sc.fps}.mp4"
        write_h264_clip(clip, spec.picture, (sc.width, sc.height), sc.fps, keep=spec.keep)
        window = max(60, round(spec.seconds * sc.fps))
        config = {
            "camera": {"fps": sc.fps, "width": sc.width, "height": sc.height},
            "pipeline": {"stats_window": window, **spec.pipeline},
            "media": {"folders": [str(media)]},
            "outputs": {"recordings_dir": str(tmp / "recordings")},
            "monitor": {"enabled": False},
            "jobs": {"data_dir": str(tmp / "jobs"), "outputs_dir": str(tmp / "jobs-out")},
            # (the face state and personas in the run's folder, kept nowhere else)
            "face": {
                "state_dir": str(tmp / "data" / "face"),
                "sources_dir": str(tmp / "faces"),
                **spec.face,
            },
            "logging": {"level": "INFO", "file": None},
        }
        cfg = tmp / "backend.yaml"
        cfg.write_text(yaml.safe_dump(config))
        server = ServiceProcess(
            "ar_backend",
            ["--config", str(cfg), "--source", str(clip), "--no-monitor"],
            health_path="/health",
            log_path=tmp / "backend.log",
        )
        viewer: PreviewViewer | None = None
        try:
            server.start(timeout=120)
            assert server.proc is not None
            http = requests.Session()
            url = server.url

            def get(path: str) -> dict[str, Any]:
                resp = http.get(url + path, timeout=30)
                resp.raise_for_status()
                return dict(resp.json())

            loaded = http.post(
                url + "/face/load",
                files={"image": ("face.png", spec.face_png, "image/png")},
                data={"face_index": str(spec.face_index)},
                timeout=120,
            )
            loaded.raise_for_status()
            http.post(url + "/face/start", timeout=30).raise_for_status()
            if spec.preview_width is not None:
                viewer = PreviewViewer(url, spec.preview_width or None)
                viewer.start()
            if spec.record:
                http.post(url + "/record/start", json={}, timeout=30).raise_for_status()
            time.sleep(spec.warmup)
            c0, f0 = get("/camera/status"), get("/face/status")
            v0 = viewer.parts if viewer else 0
            cpu0, t0 = _cpu_s(server.proc.pid), time.monotonic()
            time.sleep(spec.seconds)
            c1, f1 = get("/camera/status"), get("/face/status")
            cpu1, elapsed = _cpu_s(server.proc.pid), time.monotonic() - t0
            outputs = get("/outputs")
            if spec.record:
                http.post(url + "/record/stop", timeout=60).raise_for_status()
            frames_out = c1["frames_out"] - c0["frames_out"]
            swapped = f1["frames_swapped"] - f0["frames_swapped"]
            missed = f1["frames_without_face"] - f0["frames_without_face"]
            stages = dict(c1.get("stages") or {})
            for name, figures in (outputs["mjpeg"].get("stages") or {}).items():
                stages[f"preview.{name}"] = figures
            for name, figures in (outputs["recording"].get("stages") or {}).items():
                stages[f"record.{name}"] = figures
            return {
                "scenario": sc.name,
                "source_fps": float(c1.get("source_fps") or sc.fps),
                "fps_out": frames_out / elapsed,
                "fps_in": (c1["frames_in"] - c0["frames_in"]) / elapsed,
                "dropped": c1["dropped_frames"] - c0["dropped_frames"],
                "skipped": c1.get("source_skipped", 0) - c0.get("source_skipped", 0),
                "latency": c1["latency_ms"],
                "stages": stages,
                "face_stage_ms": f1.get("stage_ms", {}),
                "cpu_ms_per_frame": (cpu1 - cpu0) * 1000 / max(frames_out, 1),
                "cpu_cores": (cpu1 - cpu0) / elapsed,
                "swapped": swapped,
                "with_face": swapped + missed,
                "frames_out": frames_out,
                "preview_fps": ((viewer.parts - v0) / elapsed) if viewer else None,
                "recording": outputs["recording"] if spec.record else None,
                "governor": c1.get("governor"),
                "load": os.getloadavg(),
            }
        finally:
            if viewer is not None:
                viewer.stop()
            server.stop()


def print_result(res: dict[str, Any]) -> None:
    src = res["source_fps"]
    lat = res["latency"]
    load = ", ".join(f"{v:.1f}" for v in res["load"])
    print(f"\n{res['scenario']} through a real backend (load average {load})")
    print(
        f"  fps out {res['fps_out']:.1f} of the source's {src:g}: {res['fps_out'] / src:.2f}"
        f"  (in {res['fps_in']:.1f}, dropped {res['dropped']}, skipped at the source "
        f"{res['skipped']})"
    )
    print(f"  latency p50 {lat['p50']} ms  p95 {lat['p95']} ms")
    print(
        f"  backend CPU {res['cpu_ms_per_frame']:.1f} ms per frame out, all threads "
        f"({res['cpu_cores']:.2f} cores)"
    )
    share = res["swapped"] / max(res["frames_out"], 1)
    print(
        f"  swapped {res['swapped']} of {res['frames_out']} frames out ({share:.0%}); "
        f"of frames with a face {res['swapped']}/{res['with_face']}"
    )
    if res["preview_fps"] is not None:
        print(f"  preview viewer: {res['preview_fps']:.1f} fps")
    if res.get("governor"):
        gov = res["governor"]
        print(f"  governor: {gov.get('summary')}  steps {gov.get('steps')}")
    print(f"  {'stage':<22}{'ms':>8}{'p95 ms':>9}{'cpu ms':>9}")
    for name, fig in res["stages"].items():
        cpu = "-" if fig.get("cpu_ms") is None else f"{fig['cpu_ms']:.2f}"
        print(f"  {name:<22}{fig['ms']:>8.2f}{fig['p95_ms']:>9.2f}{cpu:>9}")
