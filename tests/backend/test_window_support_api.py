"""What the studio window needs from the backend (issue 14): camera devices by name, the media
folder and uploads into it, the outputs' state (GET /outputs), audio devices chosen per start.

In process (``make_studio``) for the shapes and the bad-input table, with stand-ins where this
machine has no hardware: a fake sysfs folder for device names, a fake ``pyvirtualcam`` for a
virtual camera that runs, a fake ``sounddevice`` for audio devices. The upload, then playing
it, also through a real backend process.
"""

from __future__ import annotations

import io
import logging
import os
import sys
import time
import types
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
import requests

from ar_backend.outputs.sinks import setup_script, vcam_setup_command
from ar_backend.sources.device import describe_devices
from ar_backend.sources.media import BadMediaName, MediaTypeRefused, plain_name
from shared.wire.backend import (
    AudioStatus,
    CameraDeviceListOut,
    DeviceListOut,
    MediaListOut,
    MediaUploadOut,
    OutputsStatus,
)
from tests.audio.test_stream import pulse  # noqa: F401  (the PulseAudio fixture)
from tests.backend.conftest import write_clip
from tests.procs import wait_for

# ---- camera devices by name -----------------------------------------------------------------


def _fake_sysfs(root: Path) -> Path:
    """video0 a webcam, video1 a v4l2loopback device (its entry under devices/virtual, as the
    kernel has it), video2 a loopback by its default name, video10 ours (by config), video3
    without a name file."""
    v4l = root / "class" / "video4linux"
    v4l.mkdir(parents=True)
    for index, name in ((0, "Integrated Camera: Integrated C"), (2, "Dummy loopback device")):
        (v4l / f"video{index}").mkdir()
        (v4l / f"video{index}" / "name").write_text(name + "\n")
    virtual = root / "devices" / "virtual" / "video4linux" / "video1"
    virtual.mkdir(parents=True)
    (virtual / "name").write_text("OBS Virtual Camera\n")
    (v4l / "video1").symlink_to(virtual)
    (v4l / "video10").mkdir()
    (v4l / "video10" / "name").write_text("AR Live Studio\n")
    (v4l / "video3").mkdir()
    return v4l


def test_camera_devices_have_names_and_the_virtual_ones_are_marked(
    make_studio, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    opens = {0, 1, 2, 3, 10}
    monkeypatch.setattr("ar_backend.studio.device_opens", lambda index: index in opens)
    client, studio = make_studio(
        camera={"max_devices": 12}, outputs={"virtual_camera": {"device": "/dev/video10"}}
    )
    studio.video4linux = _fake_sysfs(tmp_path / "sys")
    body = client.get("/camera/devices").get_json()
    assert body["devices"] == [0, 1, 2, 3, 10] and body["count"] == 5  # as older clients read
    CameraDeviceListOut.model_validate(body)
    if sys.platform.startswith("linux"):
        assert body["named"] == [
            {
                "index": 0,
                "name": "Integrated Camera: Integrated C",
                "path": "/dev/video0",
                "virtual": False,
            },
            {"index": 1, "name": "OBS Virtual Camera", "path": "/dev/video1", "virtual": True},
            {"index": 2, "name": "Dummy loopback device", "path": "/dev/video2", "virtual": True},
            {"index": 3, "name": "Camera 3", "path": "/dev/video3", "virtual": False},
            {"index": 10, "name": "AR Live Studio", "path": "/dev/video10", "virtual": True},
        ]
    assert client.get("/api/camera/devices").get_json() == body


def test_device_names_elsewhere_and_with_no_sysfs(tmp_path: Path) -> None:
    def described(*args: Any, **kw: Any) -> list[dict[str, Any]]:
        return [d.model_dump() for d in describe_devices(*args, **kw)]

    assert described([0, 2], sysfs_root=tmp_path, linux=False) == [
        {"index": 0, "name": "Camera 0", "path": None, "virtual": False},
        {"index": 2, "name": "Camera 2", "path": None, "virtual": False},
    ]
    assert described([4], sysfs_root=tmp_path / "none", linux=True) == [
        {"index": 4, "name": "Camera 4", "path": "/dev/video4", "virtual": False}
    ]
    ours = describe_devices(
        [4], sysfs_root=tmp_path, virtual_devices=(None, "/dev/video4"), linux=True
    )
    assert ours[0].virtual is True


# ---- the media folder and uploads -----------------------------------------------------------


def _clip_bytes(tmp_path: Path, frames: int = 20) -> bytes:
    return write_clip(tmp_path / "made" / f"clip{frames}.mp4", frames=frames).read_bytes()


def _png_bytes() -> bytes:
    image = np.full((120, 160, 3), (40, 160, 220), np.uint8)
    ok, data = cv2.imencode(".png", image)
    assert ok
    return data.tobytes()


def _upload(client: Any, name: str, data: bytes, field: str = "file", **kw: Any) -> Any:
    return client.post(
        "/media",
        data={field: (io.BytesIO(data), name)},
        content_type="multipart/form-data",
        **kw,
    )


def _folder_state(folder: Path) -> set[str]:
    return {p.name for p in folder.iterdir()}


def test_the_first_media_folder_is_created_at_start_once(
    make_studio, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    fresh = tmp_path / "new" / "media"
    caplog.set_level(logging.INFO, logger="ar_backend")
    client, _studio = make_studio(media={"folders": [str(fresh), str(tmp_path / "other")]})
    assert fresh.is_dir()
    assert not (tmp_path / "other").exists()  # only the first: where uploads go
    created = [r for r in caplog.records if "created the media folder" in r.getMessage()]
    assert len(created) == 1 and str(fresh) in created[0].getMessage()
    make_studio(media={"folders": [str(fresh)]})  # there already: nothing said
    assert len([r for r in caplog.records if "created the media folder" in r.getMessage()]) == 1
    listing = client.get("/media").get_json()
    assert listing == {"files": [], "count": 0, "truncated": False, "folder": str(fresh)}


def test_an_upload_is_saved_under_a_plain_free_name_and_plays(
    make_studio, media: Path, tmp_path: Path
) -> None:
    client, _studio = make_studio()
    clip = _clip_bytes(tmp_path)
    first = _upload(client, "My Clip (1).MP4", clip)
    assert first.status_code == 200, first.get_json()
    body = MediaUploadOut.model_validate(first.get_json())
    assert (body.name, body.source, body.size, body.kind) == (
        "My_Clip_1.mp4",
        "file:My_Clip_1.mp4",
        len(clip),
        "video",
    )
    assert (media / "My_Clip_1.mp4").read_bytes() == clip
    assert body.path == str(media / "My_Clip_1.mp4")
    again = _upload(client, "My Clip (1).MP4", clip).get_json()
    assert again["name"] == "My_Clip_1-1.mp4" and again["source"] == "file:My_Clip_1-1.mp4"
    photo = _upload(client, "face.png", _png_bytes()).get_json()
    assert photo["source"] == "image:face.png" and photo["kind"] == "image"
    assert not [p for p in media.iterdir() if p.name.startswith(".")]  # no temp file left

    listing = MediaListOut.model_validate(client.get("/media").get_json())
    assert [(f.name, f.kind, f.source) for f in listing.files] == [
        ("clip.mp4", "video", "file:clip.mp4"),
        ("face.png", "image", "image:face.png"),
        ("My_Clip_1-1.mp4", "video", "file:My_Clip_1-1.mp4"),
        ("My_Clip_1.mp4", "video", "file:My_Clip_1.mp4"),
    ]
    assert listing.files[3].size == len(clip) and listing.folder == str(media)

    for source in (body.source, photo["source"]):
        started = client.post("/camera/start", json={"source": source})
        assert started.status_code == 200, started.get_json()
        before = client.get("/camera/status").get_json()["frames_out"]
        wait_for(
            lambda b=before: client.get("/camera/status").get_json()["frames_out"] > b + 3,
            timeout=15,
        )
    assert client.post("/camera/stop").status_code == 200


def test_media_lists_only_what_a_camera_can_play(make_studio, media: Path, tmp_path: Path) -> None:
    client, _studio = make_studio(
        media={"folders": [str(media), str(tmp_path / "second")]},
    )
    second = tmp_path / "second"
    second.mkdir()
    write_clip(second / "clip.mp4", frames=5)  # hidden by the first folder's clip.mp4
    write_clip(second / "extra.mkv", frames=5)
    (media / "notes.txt").write_text("no")
    (media / ".hidden.mp4").write_bytes(b"x")
    (media / "ab:c.mp4").write_bytes(b"x")  # reads as a scheme: no SPEC names it
    (media / "sub").mkdir()
    outside = tmp_path / "outside.mp4"
    outside.write_bytes(b"x")
    (media / "link.mp4").symlink_to(outside)  # /camera/start would refuse it
    names = [f["name"] for f in client.get("/media").get_json()["files"]]
    assert names == ["clip.mp4", "extra.mkv"]
    started = client.post("/camera/start", json={"source": "file:extra.mkv"})
    assert started.status_code == 200, started.get_json()
    assert client.post("/camera/stop").status_code == 200


# (file name, content, status, field, saved as): a path never leaves the media folder; what
# is refused leaves nothing behind
CLIP, PNG, JUNK = "clip", "png", "junk"
UPLOAD_CASES = [
    ("../x.mp4", CLIP, 200, None, "x.mp4"),
    ("..\\x.mp4", CLIP, 200, None, "x.mp4"),
    ("../../../tmp/x.mp4", CLIP, 200, None, "x.mp4"),
    # (werkzeug reads a quoted filename's backslashes as escapes: C:Windowsx.mp4 arrives)
    ("C:\\Windows\\x.mp4", CLIP, 200, None, "C_Windowsx.mp4"),
    ("/etc/passwd", JUNK, 415, "file", None),
    ("file:///etc/passwd", JUNK, 415, "file", None),
    ("..", CLIP, 400, "file", None),
    ("../", CLIP, 400, "file", None),
    ("", CLIP, 400, "file", None),
    (".mp4", CLIP, 400, "file", None),
    ("???.mp4", CLIP, 400, "file", None),
    ("x.exe", CLIP, 415, "file", None),
    ("x.mp4.sh", CLIP, 415, "file", None),
    ("x.mp4", JUNK, 415, "file", None),  # the content is no video
    ("x.png", CLIP, 415, "file", None),  # nor an image
    ("x.mp4", "", 400, "file", None),  # empty
]


@pytest.mark.parametrize(("name", "content", "status", "field", "saved"), UPLOAD_CASES)
def test_upload_bad_input(
    make_studio, media: Path, tmp_path: Path, name, content, status, field, saved
) -> None:
    client, _studio = make_studio()
    data = {CLIP: _clip_bytes(tmp_path, 5), PNG: _png_bytes(), JUNK: b"root:x:0:0::/root\n"}
    before = _folder_state(media)
    around = {p for p in tmp_path.rglob("*") if media not in p.parents and p != media}
    elsewhere = [Path("/tmp/x.mp4"), Path("/etc/passwd"), Path("/x.mp4")]
    stamps = [(p.exists(), p.stat().st_mtime if p.exists() else None) for p in elsewhere]
    resp = _upload(client, name, data.get(content, b""))
    assert resp.status_code == status, resp.get_json()
    body = resp.get_json()
    if field:
        assert body["field"] == field and body["message"], body
        assert _folder_state(media) == before
    else:
        assert body["name"] == saved and _folder_state(media) == before | {saved}
    # nothing written outside the media folder
    assert {p for p in tmp_path.rglob("*") if media not in p.parents and p != media} == around
    assert [(p.exists(), p.stat().st_mtime if p.exists() else None) for p in elsewhere] == stamps


def test_upload_size_limit_and_form_errors(make_studio, media: Path, tmp_path: Path) -> None:
    client, _studio = make_studio(media={"max_upload_mb": 0.01})  # 10 kB
    before = _folder_state(media)
    clip = _clip_bytes(tmp_path, 60)
    assert len(clip) > 10_000
    streamed = _upload(client, "big.mp4", clip)  # under the body's cap: counted as written
    assert streamed.status_code == 413 and streamed.get_json()["field"] == "file"
    header = _upload(client, "big.mp4", b"\0" * 200_000)  # refused by its Content-Length
    assert header.status_code == 413 and header.get_json()["field"] == "file"
    assert "media.max_upload_mb" in header.get_json()["message"]
    wrong_field = _upload(client, "x.mp4", clip[:100], field="image")
    assert wrong_field.status_code == 400 and wrong_field.get_json()["field"] == "file"
    as_json = client.post("/media", json={"file": "x.mp4"})
    assert as_json.status_code == 415 and as_json.get_json()["field"] == "file"
    assert _folder_state(media) == before


def test_uploads_need_the_key_and_listing_does_not(make_studio, tmp_path: Path) -> None:
    client, _studio = make_studio(security={"api_key_enabled": True, "api_key": "s3cret"})
    denied = _upload(client, "x.mp4", _clip_bytes(tmp_path, 5))
    assert denied.status_code == 401
    assert client.get("/media").status_code == 200
    ok = _upload(client, "x.mp4", _clip_bytes(tmp_path, 5), headers={"X-API-Key": "s3cret"})
    assert ok.status_code == 200, ok.get_json()


def test_upload_max_is_bounded() -> None:
    from pydantic import ValidationError

    from ar_backend.config import MediaConfig

    assert MediaConfig().max_upload_mb == 500
    for bad in (0, -1, 1e9):
        with pytest.raises(ValidationError):
            MediaConfig(max_upload_mb=bad)


def test_plain_names() -> None:
    assert plain_name("Übung.MOV") == "Ubung.mov"
    assert plain_name("CON.mp4") == "CON_.mp4"  # a Windows device name
    assert plain_name("a" * 300 + ".webm") == "a" * 95 + ".webm"
    assert plain_name("x..y.jpeg") == "x.y.jpeg"
    assert plain_name("C:\\Windows\\x.mp4") == plain_name("../x.MP4") == "x.mp4"
    for bad, refused in (("photo.", MediaTypeRefused), ("..", BadMediaName), (None, BadMediaName)):
        with pytest.raises(refused):
            plain_name(bad)


# ---- outputs ----------------------------------------------------------------------------------


def test_outputs_show_the_recording_and_the_last_file(make_studio, tmp_path: Path) -> None:
    client, studio = make_studio()
    folder = str(tmp_path / "recordings")
    assert client.get("/outputs").get_json() == client.get("/status").get_json()["outputs"]
    assert client.post("/camera/start", json={"source": "clip.mp4"}).status_code == 200
    started = client.post("/record/start", json={"file_name": "take1"}).get_json()
    assert started["active"] and started["file"] == "take1.mp4"
    assert started["path"] == os.path.join(folder, "take1.mp4") and started["folder"] == folder
    assert abs(started["started_at"] - time.time()) < 5 and started["seconds"] >= 0
    wait_for(lambda: client.get("/outputs").get_json()["recording"]["seconds"] > 0.3, timeout=10)
    live = OutputsStatus.model_validate(client.get("/outputs").get_json())
    assert live.recording.active and live.recording.path == started["path"]
    assert live.recording.last_file is None
    done = client.post("/record/stop").get_json()
    assert done["active"] is False and done["seconds"] >= 0.3
    assert done["last_file"] == "take1.mp4" and done["last_path"] == started["path"]
    assert Path(done["last_path"]).stat().st_size > 0
    after = client.get("/outputs").get_json()["recording"]
    assert after == {
        "active": False,
        "folder": folder,
        "last_file": "take1.mp4",
        "last_path": started["path"],
    }
    second = client.post("/record/start", json={"file_name": "take2.mp4"}).get_json()
    assert second["file"] == "take2.mp4"
    during = client.get("/outputs").get_json()["recording"]
    assert during["active"] and during["last_file"] == "take1.mp4"
    assert client.post("/camera/stop").status_code == 200  # stops the recording too
    assert client.get("/outputs").get_json()["recording"]["last_file"] == "take2.mp4"
    assert studio.recorder is None


def test_a_missing_virtual_camera_names_the_command(make_studio) -> None:
    client, _studio = make_studio(outputs={"virtual_camera": {"device": "/dev/video12"}})
    assert client.post("/camera/start", json={"source": "demo"}).status_code == 200
    resp = client.post("/virtual_camera/start")
    if resp.status_code == 200:  # a machine with v4l2loopback at /dev/video12
        pytest.skip("this machine has a virtual camera")
    assert resp.status_code == 503
    body = resp.get_json()
    assert "setup_virtual_camera.sh" in body["message"]
    vcam = client.get("/outputs").get_json()["virtual_camera"]
    assert vcam["active"] is False and vcam["error"] == body["message"]
    if sys.platform.startswith("linux"):
        expected = f"sudo bash {setup_script()} --device-number 12"
        assert body["setup_command"] == vcam["setup_command"] == expected
        assert expected in vcam["error"]
    assert client.post("/camera/stop").status_code == 200


def test_the_setup_command() -> None:
    assert vcam_setup_command(None, linux=True) == f"sudo bash {setup_script()}"
    assert vcam_setup_command("/dev/video10", linux=True) == f"sudo bash {setup_script()}"
    assert vcam_setup_command("/dev/video3", linux=True).endswith(" --device-number 3")
    assert vcam_setup_command("/dev/video3", linux=False) is None
    assert setup_script().is_file()  # the path the command names is the script


class _FakeVirtualCamera:
    def __init__(self, width: int, height: int, fps: float, fmt: Any, **kw: Any) -> None:
        self.device = kw.get("device") or "/dev/video42"
        self.frames = 0

    def send(self, image: np.ndarray) -> None:
        self.frames += 1

    def close(self) -> None:
        pass


def test_a_running_virtual_camera_shows_its_device_and_is_no_input(
    make_studio, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = types.SimpleNamespace(
        Camera=_FakeVirtualCamera, PixelFormat=types.SimpleNamespace(BGR="BGR")
    )
    monkeypatch.setitem(sys.modules, "pyvirtualcam", fake)
    monkeypatch.setattr("ar_backend.studio.device_opens", lambda index: index == 42)
    client, studio = make_studio(camera={"max_devices": 64})
    studio.video4linux = tmp_path / "no-sysfs"
    assert client.post("/camera/start", json={"source": "demo"}).status_code == 200
    on = client.post("/virtual_camera/start")
    assert on.status_code == 200, on.get_json()
    assert on.get_json()["device"] == "/dev/video42" and on.get_json()["active"]
    vcam = client.get("/outputs").get_json()["virtual_camera"]
    assert vcam["active"] and vcam["device"] == "/dev/video42" and vcam["error"] is None
    named = client.get("/camera/devices").get_json()["named"]
    if sys.platform.startswith("linux"):
        assert named == [
            {"index": 42, "name": "Camera 42", "path": "/dev/video42", "virtual": True}
        ]
    assert client.post("/virtual_camera/stop").get_json() == {"active": False}
    assert client.post("/camera/stop").status_code == 200


# ---- audio devices ----------------------------------------------------------------------------


class _FakeStream:
    def __init__(self, sd: _FakeSoundDevice, **kw: Any) -> None:
        self.kw = kw
        self.active = False
        self.closed = False
        self.latency = (0.01, 0.02)
        sd.streams.append(self)

    def start(self) -> None:
        self.active = True

    def stop(self) -> None:
        self.active = False

    def close(self) -> None:
        self.closed = True


class _FakeSoundDevice:
    """What the engine uses of sounddevice: a device list, the defaults and a stream."""

    def __init__(self, devices: list[dict[str, Any]]) -> None:
        self.devices = devices
        self.default = types.SimpleNamespace(device=(0, 2) if devices else (-1, -1))
        self.streams: list[_FakeStream] = []

    def query_devices(self) -> list[dict[str, Any]]:
        return self.devices

    def Stream(self, **kw: Any) -> _FakeStream:  # (sounddevice spells it so)
        return _FakeStream(self, **kw)


def _dev(name: str, inputs: int, outputs: int) -> dict[str, Any]:
    return {
        "name": name,
        "max_input_channels": inputs,
        "max_output_channels": outputs,
        "default_samplerate": 48000.0,
    }


DEVICES = [
    _dev("pulse", 32, 32),
    _dev("USB Microphone: Audio (hw:1,0)", 1, 0),
    _dev("ar_test_mic sink", 0, 2),
    _dev("HDMI 0 output", 0, 8),
    _dev("HDMI 1 output", 0, 8),
]


@pytest.fixture
def fake_sd(monkeypatch: pytest.MonkeyPatch) -> _FakeSoundDevice:
    sd = _FakeSoundDevice(list(DEVICES))
    monkeypatch.setattr("ar_backend.audio.engine._sounddevice", lambda: sd)
    return sd


def test_audio_devices_say_their_direction(make_studio, fake_sd: _FakeSoundDevice) -> None:
    client, _studio = make_studio()
    body = client.get("/audio/devices").get_json()
    DeviceListOut.model_validate(body)
    assert body["count"] == 5
    assert [(d["index"], d["name"], d["inputs"], d["outputs"], d["kind"]) for d in body["devices"]][
        :3
    ] == [
        (0, "pulse", 32, 32, "duplex"),
        (1, "USB Microphone: Audio (hw:1,0)", 1, 0, "input"),
        (2, "ar_test_mic sink", 0, 2, "output"),
    ]
    assert [d["index"] for d in body["devices"] if d["default_input"]] == [0]
    assert [d["index"] for d in body["devices"] if d["default_output"]] == [2]


def test_audio_starts_on_the_devices_chosen_and_keeps_them(
    make_studio, fake_sd: _FakeSoundDevice
) -> None:
    client, studio = make_studio(audio={"input_device": "pulse"})
    assert client.get("/audio/status").get_json()["input_device"] == "pulse"  # the config's
    resp = client.post(
        "/audio/start", json={"input_device": "usb microphone", "output_device": "ar_test_mic"}
    )
    assert resp.status_code == 200, resp.get_json()
    status = AudioStatus.model_validate(resp.get_json())
    assert status.state == "running"
    assert (status.input_device, status.output_device) == ("usb microphone", "ar_test_mic")
    assert fake_sd.streams[-1].kw["device"] == (1, 2)  # resolved to the indices
    assert client.post("/audio/stop").get_json()["state"] == "stopped"
    # no body: the devices chosen stay, for the process's life
    assert client.post("/audio/start").status_code == 200
    assert fake_sd.streams[-1].kw["device"] == (1, 2)
    # running, another output: the stream moves (the old one closed)
    moved = client.post("/audio/start", json={"output_device": 3}).get_json()
    assert moved["output_device"] == 3 and moved["input_device"] == "usb microphone"
    assert fake_sd.streams[-2].closed and fake_sd.streams[-1].kw["device"] == (1, 3)
    same = len(fake_sd.streams)
    assert client.post("/audio/start", json={"output_device": 3}).status_code == 200
    assert len(fake_sd.streams) == same  # the same devices again: nothing reopened
    # null: back to the configured device (input) and PortAudio's default (output)
    back = client.post("/audio/start", json={"input_device": None, "output_device": None})
    assert back.get_json()["input_device"] == "pulse" and back.get_json()["output_device"] is None
    assert fake_sd.streams[-1].kw["device"] == (0, None)
    assert client.get("/status").get_json()["audio"]["input_device"] == "pulse"
    studio.audio.stop()


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ({"input_device": "no-such-microphone"}, "input_device", "no input audio device"),
        ({"output_device": "HDMI"}, "output_device", "several"),
        ({"output_device": 1}, "output_device", "no output channels"),  # a microphone
        ({"input_device": "ar_test_mic sink"}, "input_device", "no input channels"),
        ({"input_device": 99}, "input_device", "no audio device 99"),
        ({"input_device": 1.5}, "input_device", "name"),
        ({"input_device": True}, "input_device", "name"),
        ({"input_device": ""}, "input_device", "name"),
        ({"output_device": "x" * 300}, "output_device", "name"),
        ({"speaker": "pulse"}, "speaker", "Extra"),
    ],
)
def test_audio_device_bad_input_changes_nothing(
    make_studio, fake_sd: _FakeSoundDevice, body: dict, field: str, words: str
) -> None:
    client, studio = make_studio()
    assert client.post("/audio/start", json={"input_device": "pulse"}).status_code == 200
    streams = len(fake_sd.streams)
    resp = client.post("/audio/start", json=body)
    assert resp.status_code == 400, resp.get_json()
    assert resp.get_json()["field"] == field and words in resp.get_json()["message"]
    status = client.get("/audio/status").get_json()
    assert (status["state"], status["input_device"], status["output_device"]) == (
        "running",
        "pulse",
        None,
    )
    assert len(fake_sd.streams) == streams
    studio.audio.stop()


def test_no_audio_device_is_unavailable_with_the_reason(
    make_studio, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("ar_backend.audio.engine._sounddevice", lambda: _FakeSoundDevice([]))
    client, _studio = make_studio()
    assert client.get("/audio/devices").get_json() == {
        "devices": [],
        "count": 0,
        "source_sound": None,  # no video with sound plays
    }
    named = client.post("/audio/start", json={"input_device": "USB"})
    assert named.status_code == 400 and named.get_json()["field"] == "input_device"
    assert "PortAudio sees no input device" in named.get_json()["message"]
    resp = client.post("/audio/start")
    assert resp.status_code == 503 and "no audio device" in resp.get_json()["message"]
    status = client.get("/audio/status").get_json()
    assert status["state"] == "unavailable" and "no audio device" in status["error"]


def test_no_portaudio_is_unavailable_too(make_studio, monkeypatch: pytest.MonkeyPatch) -> None:
    from ar_backend.audio import engine

    def missing() -> Any:
        raise engine.AudioUnavailable("PortAudio is not installed (test): apt-get install x")

    monkeypatch.setattr(engine, "_sounddevice", missing)
    client, _studio = make_studio()
    for body in (None, {"input_device": "pulse"}):
        resp = client.post("/audio/start", json=body) if body else client.post("/audio/start")
        assert resp.status_code == 503 and "PortAudio" in resp.get_json()["message"]
    assert client.get("/audio/devices").status_code == 503
    status = client.get("/audio/status").get_json()
    assert status["state"] == "unavailable" and "PortAudio" in status["error"]


def test_the_chain_is_reordered_and_an_effect_removed(make_studio) -> None:
    client, _studio = make_studio()
    chain = [{"type": "gain", "params": {"db": -3}}, {"type": "echo"}, {"type": "reverb"}]
    assert client.post("/audio/chain", json={"effects": chain}).status_code == 200
    reordered = client.post("/audio/chain", json={"effects": [chain[2], chain[0], chain[1]]})
    assert [e["type"] for e in reordered.get_json()["effects"]] == ["reverb", "gain", "echo"]
    assert reordered.get_json()["effects"][1]["params"] == {"db": -3.0}
    removed = client.delete("/audio/effect/gain").get_json()
    assert [e["type"] for e in removed["effects"]] == ["reverb", "echo"]
    assert [e["type"] for e in client.get("/audio/status").get_json()["effects"]] == [
        "reverb",
        "echo",
    ]
    assert client.post("/audio/chain", json={"effects": []}).get_json()["effects"] == []


# ---- through a real process -------------------------------------------------------------------


@pytest.mark.slow
def test_upload_then_play_through_a_real_backend(backend, backend_config, tmp_path: Path) -> None:
    fresh = tmp_path / "fresh-media"
    be = backend("--no-autostart", config=backend_config(media={"folders": [str(fresh)]}))
    assert fresh.is_dir()  # made at start
    log_text = be.log_path.read_text()
    assert log_text.count("created the media folder") == 1
    clip = write_clip(tmp_path / "made" / "take.mp4", frames=45)
    with clip.open("rb") as f:
        resp = requests.post(
            be.url + "/media", files={"file": ("../take one.mp4", f, "video/mp4")}, timeout=30
        )
    assert resp.status_code == 200, resp.text
    saved = resp.json()
    assert saved["name"] == "take_one.mp4" and saved["size"] == clip.stat().st_size
    assert (fresh / "take_one.mp4").is_file() and not (tmp_path / "take_one.mp4").exists()
    listed = requests.get(be.url + "/media", timeout=5).json()
    assert [f["source"] for f in listed["files"]] == [saved["source"]]
    started = requests.post(be.url + "/camera/start", json={"source": saved["source"]}, timeout=20)
    assert started.status_code == 200, started.text

    def frames_out() -> int:
        return requests.get(be.url + "/camera/status", timeout=5).json()["frames_out"]

    wait_for(lambda: frames_out() > 0, timeout=15)
    first = frames_out()
    wait_for(lambda: frames_out() > first + 10, timeout=15)  # it keeps coming (looped)
    status = requests.get(be.url + "/camera/status", timeout=5).json()
    assert status["source_kind"] == "file" and "take_one.mp4" in status["source"]
    refused = requests.post(
        be.url + "/media", files={"file": ("/etc/passwd", b"root:x:0:0", "text/plain")}, timeout=10
    )
    assert refused.status_code == 415 and refused.json()["field"] == "file"
    assert requests.post(be.url + "/camera/stop", timeout=10).status_code == 200


@pytest.mark.slow
def test_audio_devices_chosen_on_a_real_stream(
    backend,
    backend_config,
    pulse: str,  # noqa: F811  (the fixture imported above)
) -> None:
    """PortAudio through a PulseAudio null sink (tests/audio/test_stream.py's): the device
    chosen by name runs, shows in the status and stays for the next start."""
    be = backend("--no-autostart", config=backend_config())
    devices = requests.get(be.url + "/audio/devices", timeout=10).json()["devices"]
    assert any(d["name"] == "pulse" and d["kind"] == "duplex" for d in devices), devices
    bad = requests.post(be.url + "/audio/start", json={"output_device": "no-such"}, timeout=20)
    assert bad.status_code == 400 and bad.json()["field"] == "output_device"
    chosen = {"input_device": "pulse", "output_device": "pulse"}
    resp = requests.post(be.url + "/audio/start", json=chosen, timeout=20)
    assert resp.status_code == 200, resp.text
    assert resp.json()["state"] == "running"
    assert {k: resp.json()[k] for k in chosen} == chosen
    assert requests.post(be.url + "/audio/stop", timeout=10).json()["state"] == "stopped"
    again = requests.post(be.url + "/audio/start", timeout=20).json()  # no body: kept
    assert again["state"] == "running" and again["input_device"] == "pulse"
    assert requests.post(be.url + "/audio/stop", timeout=10).status_code == 200
