"""GET /models, POST /models/<name>/fetch and /cancel through the in-process app."""

from __future__ import annotations

import os
import time
from pathlib import Path

from shared.wire.backend import ModelsOut
from tests.backend.conftest import make_studio, media  # noqa: F401  (fixtures)
from tests.weights.conftest import sha


def _state(client, name: str) -> dict:  # type: ignore[no-untyped-def]
    """The model's entry in GET /models, read with the strict wire model (every field the
    answer sends is declared there)."""
    listing = ModelsOut.model_validate(client.get("/models").get_json())
    return next(m.model_dump() for m in listing.models if m.name == name)


def test_fetch_progress_through_api(make_studio, server, write_manifest, tmp_path: Path) -> None:  # noqa: F811
    data = os.urandom(1_500_000)
    server.files["/w.bin"] = data
    server.delay = 0.02  # about half a second in all: long enough to see it downloading
    manifest = write_manifest(
        {
            "w": [
                {
                    "path": "w.bin",
                    "size": len(data),
                    "sha256": sha(data),
                    "urls": [server.url + "/w.bin"],
                }
            ]
        }
    )
    models = tmp_path / "models"
    client, _studio = make_studio(
        face={"models_dir": str(models), "models_manifest": str(manifest)}
    )
    assert _state(client, "w")["files"][0]["state"] == "missing"
    assert client.post("/models/nope/fetch").status_code == 404
    assert client.post("/models/nope/fetch").get_json().get("field") == "name"
    answer = client.post("/models/w/fetch")
    assert answer.status_code == 202
    seen = set()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        file = _state(client, "w")["files"][0]
        seen.add(file["state"])
        if file["state"] == "downloading":
            assert file["bytes_total"] == len(data) and file["bytes_done"] <= len(data)
        if file["state"] == "present":
            break
        time.sleep(0.02)
    assert "downloading" in seen and "present" in seen
    assert (models / "w.bin").read_bytes() == data
    model = _state(client, "w")
    assert model["licence"] == "test only" and model["used_by"] == ["tests"]
    assert model["fetch"]["state"] == "done"


def test_cancel(make_studio, server, write_manifest, tmp_path: Path) -> None:  # noqa: F811
    data = os.urandom(2_000_000)
    server.files["/c.bin"] = data
    server.delay = 0.05
    manifest = write_manifest(
        {
            "c": [
                {
                    "path": "c.bin",
                    "size": len(data),
                    "sha256": sha(data),
                    "urls": [server.url + "/c.bin"],
                }
            ]
        }
    )
    models = tmp_path / "models"
    client, _studio = make_studio(
        face={"models_dir": str(models), "models_manifest": str(manifest)}
    )
    assert client.post("/models/c/fetch").status_code == 202
    time.sleep(0.2)
    answer = client.post("/models/c/cancel")
    assert answer.status_code == 200
    assert answer.get_json()["fetch"]["state"] == "cancelled"
    assert not (models / "c.bin").exists()
    assert client.post("/models/nope/cancel").status_code == 404
