"""A change made right after a restart wins over the restore (issue 25, item 1).

After ``kill -9`` and a restart the saved face state is restored off the main thread while
the backend already answers. The probe sent ``POST /face/stop``, ``DELETE /face/reference``
and ``DELETE /face/map`` as soon as ``/health`` answered: each answered 200, and 5 s later the
restore had put the old state back (5 of 5 tries; in ``state.json`` too). A change the person
makes must win: the studio holds calls that change the face state until the restore is done,
then applies them, and keeps them."""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import requests

from ar_backend.face import samples

JPEG = "image/jpeg"


def _photo(image: Any) -> tuple[str, bytes, str]:
    return ("photo.jpg", samples.encode(image), JPEG)


def _set_everything(url: str) -> None:
    """A face, a reference person, a face map, and the swap on."""
    astronaut = samples.astronaut()
    for path, files in (
        ("/face/load", {"image": _photo(astronaut)}),
        ("/face/reference", {"image": _photo(astronaut)}),
        ("/face/map", {"reference_0": _photo(astronaut), "source_0": _photo(samples.tom_hanks())}),
    ):
        resp = requests.post(url + path, files=files, timeout=120)
        assert resp.status_code == 200, (path, resp.text)
    assert requests.post(url + "/face/start", timeout=30).status_code == 200
    status = requests.get(url + "/face/status", timeout=10).json()
    assert status["enabled"] and status["reference"]["set"] and status["map"], status


def _saved(state_dir: Path) -> dict[str, Any]:
    return json.loads((state_dir / "state.json").read_text())["sections"]


@pytest.mark.slow
def test_changes_sent_as_health_answers_after_kill_9_win_over_the_restore(
    backend, backend_config, face_state_dir: Path
) -> None:
    config = backend_config(camera={"source": "demo"})
    be = backend(config=config)
    _set_everything(be.url)
    saved = _saved(face_state_dir)
    assert saved["live"]["enabled"] and "reference" in saved and "map" in saved
    for attempt in range(2):
        be.kill()  # SIGKILL: nothing is saved on the way out
        be = backend(config=config)  # returns once /health answers
        with ThreadPoolExecutor(3) as pool:
            answers = list(
                pool.map(
                    lambda call, url=be.url: requests.request(call[0], url + call[1], timeout=120),
                    [
                        ("POST", "/face/stop"),
                        ("DELETE", "/face/reference"),
                        ("DELETE", "/face/map"),
                    ],
                )
            )
        assert [a.status_code for a in answers] == [200, 200, 200], [a.text for a in answers]
        assert answers[0].json()["enabled"] is False  # each answers the state it leaves
        time.sleep(5)
        status = requests.get(be.url + "/face/status", timeout=10).json()
        assert status["restoring"] is False, status
        assert status["enabled"] is False, (attempt, status)
        assert status["reference"]["set"] is False, (attempt, status["reference"])
        assert status["map"] == [], (attempt, status["map"])
        assert status["source"]["loaded"], status  # what the person did not change: restored
        saved = _saved(face_state_dir)
        assert saved["live"]["enabled"] is False, (attempt, saved)
        assert "reference" not in saved and "map" not in saved, (attempt, saved)
        if attempt == 0:  # everything on again for the second try
            _set_everything(be.url)


@pytest.mark.slow
def test_a_change_waits_for_the_restore_and_a_very_long_one_is_said(
    make_studio, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    """While the saved state is applied a change waits (then lands on top); past
    FACE_SETTLE_WAIT it is a 503 saying so, and nothing changed."""
    import threading

    from ar_backend import studio as studio_module
    from ar_backend.face.live import restore

    first, _ = make_studio(pipeline={"processors": ["face_swap"]})
    loaded = first.post("/face/load", data={"image": (_io(), "me.jpg")})
    assert loaded.status_code == 200, loaded.get_json()
    assert first.post("/face/start").status_code == 200
    release = threading.Event()
    real_apply = restore.apply

    def slow_apply(*args: Any, **kw: Any) -> None:
        release.wait(30)
        real_apply(*args, **kw)

    monkeypatch.setattr(restore, "apply", slow_apply)
    monkeypatch.setattr(studio_module, "FACE_SETTLE_WAIT", 0.3)
    client, _ = make_studio(pipeline={"processors": ["face_swap"]})  # the same state
    assert client.get("/face/status").get_json()["restoring"] is True
    refused = client.post("/face/stop")
    body = refused.get_json()
    assert refused.status_code == 503, body
    assert body["message_key"] == "face.still_restoring"
    assert client.get("/health").status_code == 200  # reads never wait
    release.set()
    monkeypatch.setattr(studio_module, "FACE_SETTLE_WAIT", 60.0)
    stopped = client.post("/face/stop")  # waits for the restore, then wins
    assert stopped.status_code == 200 and stopped.get_json()["enabled"] is False
    status = client.get("/face/status").get_json()
    assert status["restoring"] is False and status["source"]["loaded"]


def _io() -> Any:
    import io

    return io.BytesIO(samples.encode(samples.astronaut()))
