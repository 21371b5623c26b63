"""A camera device that is there but may not be opened for lack of permission (issue 25,
item 15): /health, /status and the camera's error say so, with the fix (``sudo usermod -aG
video $USER``, then log in again), as a message key too.

No machine here has a camera, and tests run as root (who may open anything), so the check
is pointed at stand-ins: device nodes that are temp files with the modes a real /dev/video0
has, judged for an ordinary user's uid and groups (``DeviceAccess``'s ``identity`` seam)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ar_backend.sources.device import DeviceAccess
from shared.messages import render

USER = (1000, {1000})  # an ordinary user, not in the video group
VIDEO_GID = 44  # Debian's video group


@pytest.fixture
def dev(tmp_path: Path) -> Path:
    """A /dev with video0 as a real one looks (root:video, 0660) and video1 locked (000)."""
    folder = tmp_path / "dev"
    folder.mkdir()
    for name, mode in (("video0", 0o660), ("video1", 0o000)):
        node = folder / name
        node.write_bytes(b"")
        os.chown(node, 0, VIDEO_GID)
        node.chmod(mode)
    return folder


def test_the_check_judges_the_mode_bits_for_the_user(dev: Path) -> None:
    outside = DeviceAccess(dev, identity=USER)
    problem = outside.problem(0)
    assert problem is not None
    assert problem.device == str(dev / "video0") and problem.problem == "permission"
    assert problem.fix_command == "sudo usermod -aG video $USER"
    assert problem.message_key == "camera.permission_denied"
    assert problem.message == render(problem.message_key, problem.message_args)
    assert "log out and in again" in problem.message
    in_group = DeviceAccess(dev, identity=(1000, {1000, VIDEO_GID}))
    assert in_group.problem(0) is None  # 0660 root:video: the group may
    assert in_group.problem(1) is not None  # 000: nobody but root
    assert DeviceAccess(dev, identity=(0, set())).problem(1) is None  # root may
    assert outside.problem(7) is None  # not there: nothing to say about permission
    # without a stand-in identity it is the kernel's own answer for this process
    assert DeviceAccess(dev).problem(1) is (None if os.geteuid() == 0 else not None)


def test_health_status_and_the_camera_say_it_with_the_fix(make_studio, dev: Path) -> None:  # type: ignore[no-untyped-def]
    client, studio = make_studio(camera={"source": "0"})
    assert client.get("/health").get_json()["camera_access"] is None  # (the real /dev)
    studio.device_access = DeviceAccess(dev, identity=USER)
    for path in ("/health", "/status"):
        access = client.get(path).get_json()["camera_access"]
        assert access is not None, path
        assert access["device"] == str(dev / "video0")
        assert access["fix_command"] == "sudo usermod -aG video $USER"
        assert access["message_key"] == "camera.permission_denied"
    resp = client.post("/camera/start", json={"source": "0"})
    body = resp.get_json()
    assert (resp.status_code, body["field"]) == (503, "source"), body
    assert body["message_key"] == "camera.permission_denied"
    assert "sudo usermod -aG video $USER" in body["message"]
    # auto: the demo plays, and says why device 0 was passed over
    started = client.post("/camera/start", json={"source": "auto"}).get_json()
    assert started["state"] == "running" and "may not be opened" in started["auto"]
    assert client.get("/health").get_json()["camera_access"]["index"] == 0
    # in the group: nothing to say
    studio.device_access = DeviceAccess(dev, identity=(1000, {VIDEO_GID}))
    assert client.get("/health").get_json()["camera_access"] is None
