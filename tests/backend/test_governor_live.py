"""The quality governor on the real live path: stand-in processors of known cost (the burn
processor's real CPU work) in a real pipeline (file source, capture and process threads),
then a real backend process. The steps it takes and that the rate comes back are asserted,
never how fast anything ran (generous waits: the machine may be loaded)."""

from __future__ import annotations

import contextlib
import socket
import threading
from pathlib import Path

import pytest
import requests

from ar_backend.config import CameraConfig
from ar_backend.frames import Frame
from ar_backend.governor import Governor
from ar_backend.knobs import LevelKnob
from ar_backend.pipeline import Pipeline
from ar_backend.processors import ProcessorContext
from ar_backend.processors.burn import BurnProcessor
from ar_backend.sources import make_source, parse_spec
from tests.backend.conftest import write_clip
from tests.procs import wait_for

pytestmark = pytest.mark.slow


class EnhancerStandIn:
    """Costs ``ms`` of real CPU work per frame (more than a frame's time) until the governor
    pauses it through its knob, as the face enhancer's knob pauses the enhancer."""

    name = "enhancer_stand_in"

    def __init__(self, ms: float) -> None:
        self.burn = BurnProcessor(ms)
        self.ms = ms
        self.paused = False
        self.knobs = [
            LevelKnob(
                "enhancer",
                ["enhancer on", "enhancer paused"],
                importance=2.0,
                apply=self._apply,
                cost=lambda: 0.0 if self.paused else self.ms,
            )
        ]
        self.frames_paused = 0

    def _apply(self, level: int) -> None:
        self.paused = level > 0

    def process(self, frame: Frame, ctx: ProcessorContext) -> Frame:
        if self.paused:
            self.frames_paused += 1
            return frame
        return self.burn.process(frame, ctx)

    def close(self) -> None:
        pass


def test_an_enhancer_costing_more_than_a_frame_is_paused_and_the_rate_comes_back(
    tmp_path: Path,
) -> None:
    clip = write_clip(tmp_path / "c.mp4", frames=100, fps=10)
    standin = EnhancerStandIn(180.0)  # a 10 fps source: 100 ms a frame
    governor = Governor(standin.knobs)
    pipe = Pipeline([BurnProcessor(5.0), standin], governor=governor)
    source = make_source(parse_spec(str(clip)), CameraConfig())
    source.open()
    pipe.start(source)
    try:
        wait_for(lambda: governor.history, timeout=60)
        step = governor.history[0]
        assert (step.direction, step.knob, step.says) == ("down", "enhancer", "enhancer paused")
        assert "frames dropped" in step.why
        assert governor.summary() == "holding 10 fps: enhancer paused"
        # the rate comes back: at 5 ms a frame a 10 fps source is kept (a generous wait)
        wait_for(lambda: pipe.stats().fps_out >= 9.0, timeout=60)
        assert standin.frames_paused > 0
        # and it stays paused: 180 ms never fits in a frame's time
        assert [s.knob for s in governor.history] == ["enhancer"]
    finally:
        pipe.close()


class Viewer(threading.Thread):
    """Watches the preview over a socket, as the window does, until stopped."""

    def __init__(self, url: str) -> None:
        super().__init__(daemon=True)
        host, port = url.removeprefix("http://").split(":")
        self.sock = socket.create_connection((host, int(port)), timeout=10)
        self.sock.sendall(f"GET /video_feed HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
        self.bytes = 0

    def run(self) -> None:
        try:
            while data := self.sock.recv(65536):
                self.bytes += len(data)
        except OSError:
            pass

    def stop(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)
        self.sock.close()


def test_a_backend_that_cannot_keep_up_says_what_it_turned_down(backend, backend_config) -> None:  # type: ignore[no-untyped-def]
    """A real backend whose processing costs more than a frame (the burn processor) with a
    viewer on the preview: the governor turns the preview down a step at a time (all it can
    turn down here), then says nothing is left; /status, /camera/status and the heartbeat
    payload carry it."""
    cfg = backend_config(
        camera={"width": 640, "height": 360, "fps": 10},
        pipeline={"processors": ["burn", "overlay"], "burn_ms": 160},
    )
    be = backend("--source", "demo", config=cfg)
    viewer = Viewer(be.url)
    viewer.start()
    try:

        def governor() -> dict:  # type: ignore[type-arg]
            return requests.get(be.url + "/camera/status", timeout=10).json()["governor"]

        done = wait_for(
            lambda: (g := governor())["steps"] and "nothing left" in g["note"] and g, timeout=90
        )
    finally:
        viewer.stop()
    assert done["enabled"] and done["target_fps"] == 10
    moves = [(s["direction"], s["knob"], s["level"]) for s in done["history"]]
    assert moves == [("down", "preview", 1), ("down", "preview", 2)]
    assert done["summary"] == "holding 10 fps: preview at 640 px, quality 50"
    assert [s["says"] for s in done["steps"]] == ["preview at 640 px, quality 50"]
    # the level by its key, for a client in another language
    said = [(s["says_key"], s["says_args"]) for s in done["steps"]]
    assert said == [("governor.preview_small", {"width": 640, "quality": 50})]
    knobs = {k["name"]: k for k in done["knobs"]}
    assert {"enhancer", "detect_size", "preview"} <= set(knobs)
    assert knobs["enhancer"]["level"] == 0  # off: nothing to win there
    status = requests.get(be.url + "/status", timeout=10).json()
    assert status["governor"]["summary"] == done["summary"]
    assert viewer.bytes > 0


def test_with_the_governor_off_nothing_is_turned_down(backend, backend_config) -> None:  # type: ignore[no-untyped-def]
    cfg = backend_config(
        camera={"width": 640, "height": 360, "fps": 10},
        pipeline={"processors": ["burn"], "burn_ms": 160},
        face={"governor": "off"},
    )
    be = backend("--source", "demo", config=cfg)
    viewer = Viewer(be.url)
    viewer.start()
    try:
        wait_for(
            lambda: (
                requests.get(be.url + "/camera/status", timeout=10).json()["dropped_frames"] > 20
            ),
            timeout=60,
        )
        gov = requests.get(be.url + "/camera/status", timeout=10).json()["governor"]
    finally:
        viewer.stop()
    assert gov["summary"] == "off" and gov["steps"] == [] and gov["history"] == []
