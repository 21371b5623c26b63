"""Recordings as a streamer gets them, through a real backend process: the camera on a clip
with a flash and a click together every 2 s, its sound taken as the voice
(``POST /audio/start {"input_device": "source"}``) and changed, the take recorded. The file
is H.264 with the changed voice as AAC, lasts as long as the take (with the swap on and the
live rate below the clip's too), each click within 40 ms of its flash; a backend killed while
recording leaves a playable file named ``.partial.mp4``."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import av
import pytest
import requests

from ar_backend.face import samples
from ar_backend.outputs.avclip import measure_take, write_flash_clip
from tests.backend.test_face_live_process import send_face
from tests.procs import wait_for

pytestmark = pytest.mark.slow

TAKE_S = 4.0
CLIP = "flash.mp4"


@pytest.fixture(scope="module")
def flash_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("clip") / CLIP
    write_flash_clip(path, seconds=8.0, size=(1280, 720), fps=60)
    return path


@pytest.fixture
def started(backend, backend_config, media: Path, flash_clip: Path, tmp_path: Path):  # type: ignore[no-untyped-def]
    shutil.copy(flash_clip, media / CLIP)
    cfg = backend_config(
        pipeline={"processors": ["face_swap"]},
        face={"state_dir": str(tmp_path / "face-state")},
    )
    be = backend("--no-autostart", config=cfg)
    resp = requests.post(be.url + "/camera/start", json={"source": CLIP}, timeout=30)
    assert resp.status_code == 200, resp.text
    return be


def voice_from_the_source(url: str) -> dict:
    resp = requests.post(url + "/audio/start", json={"input_device": "source"}, timeout=20)
    assert resp.status_code == 200, resp.text
    chain = {"effects": [{"type": "pitch", "params": {"semitones": 4}}]}
    assert requests.post(url + "/audio/chain", json=chain, timeout=10).status_code == 200
    wait_for(lambda: requests.get(url + "/audio/status", timeout=5).json()["blocks"] > 50, 20)
    return requests.get(url + "/audio/status", timeout=5).json()


def take(url: str, name: str, seconds: float = TAKE_S) -> Path:
    resp = requests.post(url + "/record/start", json={"file_name": name}, timeout=20)
    assert resp.status_code == 200, resp.text
    assert resp.json()["writing"] == f"{name}.partial.mp4" and resp.json()["audio"] is True
    time.sleep(seconds)
    done = requests.post(url + "/record/stop", timeout=60).json()
    assert done["error"] is None and done["file"] == f"{name}.mp4", done
    return Path(done["path"])


def streams(path: Path) -> tuple[str, str | None]:
    with av.open(str(path)) as container:
        audio = container.streams.audio
        return container.streams.video[0].codec_context.name, (
            audio[0].codec_context.name if audio else None
        )


def check_take(path: Path, swapped: bool = False) -> None:
    assert streams(path) == ("h264", "aac")
    assert not path.with_name(path.stem + ".partial.mp4").exists()
    got = measure_take(path)
    assert abs(got.video_seconds - TAKE_S) <= 0.3, got
    assert got.audio_seconds is not None and abs(got.audio_seconds - TAKE_S) <= 0.3, got
    paired = got.offsets_ms  # each click with its flash, where the flash's onset was recorded
    assert paired, got
    # a flash is seen on the first frame the live path got through: at a few fps with the
    # swap on, that frame may come one live frame after the flash began
    allowed = 40 + (got.frame_ms if swapped else 0)
    assert all(abs(o) <= allowed for o in paired), got


def test_a_take_of_the_changed_voice_is_in_sync_and_lasts_as_long_as_the_take(started) -> None:
    be = started
    status = voice_from_the_source(be.url)
    assert status["input_device"] == "source" and status["source_sound"] == f"file {CLIP}"
    # no sound card here: it says so, and the voice still goes to the recording
    assert status["output_error"] is None or "recordings only" in status["output_error"]
    check_take(take(be.url, "plain"))

    # the swap on: the live rate falls below the clip's 60 fps; the take keeps its length
    send_face(be.url, samples.astronaut())
    assert requests.post(be.url + "/face/start", timeout=10).status_code == 200
    check_take(take(be.url, "swapped"), swapped=True)
    camera = requests.get(be.url + "/camera/status", timeout=5).json()
    assert camera["source_fps"] == 60.0


def test_an_unknown_input_device_is_still_refused(started) -> None:
    resp = requests.post(
        started.url + "/audio/start", json={"input_device": "no such mic"}, timeout=20
    )
    assert resp.status_code in (400, 503), resp.text  # 503: no PortAudio device at all here
    if resp.status_code == 400:
        assert resp.json()["field"] == "input_device"
    assert requests.get(started.url + "/audio/status", timeout=5).json()["state"] != "running"


def test_a_backend_killed_mid_take_leaves_a_playable_partial_file(started) -> None:
    be = started
    voice_from_the_source(be.url)
    resp = requests.post(be.url + "/record/start", json={"file_name": "cut"}, timeout=20)
    assert resp.status_code == 200, resp.text
    partial = Path(resp.json()["folder"]) / resp.json()["writing"]
    # (the recorder runs below the live path: on a loaded machine it writes later)
    wait_for(lambda: recorded(be.url) >= 150, timeout=60)  # 2.5 s at 60 fps
    time.sleep(1.0)
    be.kill()  # SIGKILL: nothing is finalised
    assert partial.name == "cut.partial.mp4" and partial.exists()
    assert not partial.with_name("cut.mp4").exists()
    got = measure_take(partial)
    assert got.frames > 30 and got.video_seconds >= 1.5, got
    assert streams(partial) == ("h264", "aac")


def recorded(url: str) -> int:
    """Frames the running take has handed to its encoder."""
    status = requests.get(url + "/outputs", timeout=5).json()["recording"]
    return int(status.get("frames") or 0)
