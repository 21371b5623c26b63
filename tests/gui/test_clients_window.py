"""The backend client's calls for the studio window (issue 14), against a real backend
process: outputs, the virtual camera, recording, snapshots, camera devices, media uploads,
audio devices and the effect chain, unloading the face. Every answer typed (shared.wire);
every refusal a BackendError naming the field."""

from __future__ import annotations

import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from shared.wire import backend as bw
from tests.backend.conftest import backend, backend_config, media, write_clip  # noqa: F401
from tests.procs import wait_for
from user_gui.services.clients import ARBackendClient, BackendError

pytestmark = pytest.mark.slow


@pytest.fixture
def client(backend, tmp_path: Path):  # noqa: F811  (the fixture imported above)
    be = backend("--no-autostart")
    api = ARBackendClient(be.url, timeout=20)
    yield api
    api.close()


def test_media_upload_play_snapshot_and_record(client: ARBackendClient, tmp_path: Path) -> None:
    listed = client.media_files()
    assert isinstance(listed, bw.MediaListOut)
    assert [f.name for f in listed.files] == ["clip.mp4"] and listed.folder
    clip = write_clip(tmp_path / "made" / "Take 2.mp4", frames=40)
    saved = client.upload_media(clip)
    assert isinstance(saved, bw.MediaUploadOut)
    assert (saved.name, saved.source, saved.size) == (
        "Take_2.mp4",
        "file:Take_2.mp4",
        clip.stat().st_size,
    )
    assert client.upload_media(clip).name == "Take_2-1.mp4"
    assert [f.name for f in client.media_files().files] == [
        "clip.mp4",
        "Take_2-1.mp4",
        "Take_2.mp4",
    ]
    junk = tmp_path / "notes.txt"
    junk.write_text("not a video")
    with pytest.raises(BackendError) as refused:
        client.upload_media(junk)
    assert refused.value.status == 415 and refused.value.field == "file"

    with pytest.raises(BackendError) as early:
        client.snapshot()
    assert early.value.status == 503
    with pytest.raises(BackendError) as not_running:
        client.start_recording("take")
    assert not_running.value.status == 409

    assert client.start_camera(source=saved.source).source_kind == "file"
    wait_for(lambda: client.camera_status().frames_out > 5, timeout=15)
    jpeg = client.snapshot()
    image = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
    assert image is not None and image.shape[:2] == (240, 320)

    with pytest.raises(BackendError) as bad_name:
        client.start_recording("../evil")
    assert bad_name.value.status == 403 and bad_name.value.field == "file_name"
    rec = client.start_recording("take")
    assert rec.active and rec.file == "take.mp4" and rec.path and rec.folder
    assert Path(rec.path).parent == Path(rec.folder) and rec.started_at
    wait_for(lambda: (client.outputs().recording.seconds or 0) > 0.3, timeout=10)
    outputs = client.outputs()
    assert isinstance(outputs, bw.OutputsStatus)
    assert outputs.recording.active and outputs.recording.file == "take.mp4"
    done = client.stop_recording()
    assert not done.active and done.last_file == "take.mp4" and done.last_path == rec.path
    assert (done.seconds or 0) >= 0.3 and Path(rec.path).stat().st_size > 0
    after = client.outputs().recording
    assert (after.active, after.last_file, after.last_path, after.folder) == (
        False,
        "take.mp4",
        rec.path,
        rec.folder,
    )
    client.stop_camera()


def test_the_virtual_camera_and_devices(client: ARBackendClient) -> None:
    named = client.camera_devices_named()
    assert isinstance(named, list) and all(isinstance(d, bw.CameraDevice) for d in named)
    assert [d.index for d in named] == client.camera_devices()
    client.start_camera(source="demo")
    wait_for(lambda: client.camera_status().frames_out > 2, timeout=15)
    try:
        status = client.start_virtual_camera()
    except BackendError as exc:  # no v4l2loopback here: the fix is in the answer
        assert exc.status == 503 and "setup_virtual_camera.sh" in str(exc)
        vcam = client.outputs().virtual_camera
        assert not vcam.active and vcam.error and "setup_virtual_camera.sh" in vcam.error
        if sys.platform.startswith("linux"):
            command = exc.details["setup_command"]
            assert command.startswith("sudo bash ")
            assert command.endswith("scripts/setup_virtual_camera.sh")
            assert vcam.setup_command == command
    else:  # a machine with a virtual camera
        assert status.active and status.device
        assert client.outputs().virtual_camera.device == status.device
    assert client.stop_virtual_camera().active is False
    client.stop_camera()


def test_audio_devices_and_the_chain(client: ARBackendClient) -> None:
    try:
        devices = client.audio_devices().devices
    except BackendError as exc:  # no PortAudio library here
        assert exc.status == 503 and "PortAudio" in str(exc)
        devices = None
    if devices is not None:
        assert all(isinstance(d, bw.AudioDevice) and d.kind for d in devices)
    with pytest.raises(BackendError) as unknown:
        client.start_audio(input_device="no-such-microphone-here")
    if unknown.value.status == 400:
        assert unknown.value.field == "input_device"
        assert "no-such-microphone-here" in str(unknown.value)
    else:  # PortAudio missing: the 503 says so
        assert unknown.value.status == 503 and "PortAudio" in str(unknown.value)
    assert client.audio_status().input_device is None  # nothing changed

    try:  # no argument: the devices in use, as before
        started = client.start_audio()
    except BackendError as exc:  # no sound card here: unavailable, with the reason
        assert exc.status == 503
        status = client.audio_status()
        assert status.state == "unavailable" and status.error
    else:
        assert started.state in ("running", "reconnecting")
        client.stop_audio()

    chain = client.set_audio_chain(
        [{"type": "gain", "params": {"db": -6}}, {"type": "echo", "params": {}}]
    )
    assert [e.type for e in chain.effects] == ["gain", "echo"]
    swapped = client.set_audio_chain(list(reversed(chain.effects)))  # models go back as sent
    assert [(e.type, e.params.get("db")) for e in swapped.effects] == [
        ("echo", None),
        ("gain", -6.0),
    ]
    assert [e.type for e in client.remove_audio_effect("echo").effects] == ["gain"]
    with pytest.raises(BackendError) as absent:
        client.remove_audio_effect("echo")
    assert absent.value.status == 404 and absent.value.field == "effect_type"
    with pytest.raises(BackendError) as bad:
        client.set_audio_chain([{"type": "gain"}, {"type": "warp"}])
    assert bad.value.status == 400 and bad.value.field == "effects.1.type"
    assert [e.type for e in client.audio_status().effects] == ["gain"]


def test_unload_face(client: ARBackendClient) -> None:
    unloaded = client.unload_face()
    assert isinstance(unloaded, bw.FaceSource) and unloaded.loaded is False
    assert client.face_status().source.loaded is False
