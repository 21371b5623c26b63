"""The Models dialog and the window's model calls (issue 16), on a real backend process whose
manifest (written here) lists files a local HTTP server serves: the client's models(),
fetch_model() and cancel_model_fetch(); the dialog lists every model with its licence in full,
a Download really fetches the file through the backend (the bar fills, the row goes to
present), a file with the wrong hash shows corrupt, and the greyed inswapper engine's
Download… opens the dialog on its models, whose download makes the engine available.

The inswapper files are tiny stand-ins with the real interfaces (tests/face/onnx_models.py);
the manifest lists their own hashes, so the backend verifies them as it would the real ones.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

pytest.importorskip("PyQt5")

from shared.wire import backend as bw
from tests.face.onnx_models import build_models
from tests.weights.conftest import Server
from user_gui.app import i18n

pytestmark = pytest.mark.slow

NON_COMMERCIAL = (
    "insightface pretrained model: non-commercial research use only (see "
    "https://github.com/deepinsight/insightface#license). Not for commercial use."
)


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture
def files() -> Iterator[Server]:
    srv = Server()
    yield srv
    srv.close()


def write_manifest(path: Path, server: Server, served: dict[str, dict[str, Any]]) -> Path:
    """``served``: model name -> {description, licence, used_by, files: {path: bytes}}; each
    file is served at /<path> and listed with its size and SHA-256."""
    models: dict[str, Any] = {}
    for name, spec in served.items():
        entries = []
        for rel, data in spec["files"].items():
            server.files["/" + rel] = data
            entries.append(
                {
                    "path": rel,
                    "size": len(data),
                    "sha256": sha(data),
                    "hash_source": "computed by the test",
                    "urls": [f"{server.url}/{rel}"],
                }
            )
        models[name] = {
            "description": spec["description"],
            "licence": spec["licence"],
            "used_by": spec["used_by"],
            "files": entries,
        }
    path.write_text(yaml.safe_dump({"models": models}, sort_keys=False))
    return path


@pytest.fixture
def catalogue(files: Server, tmp_path: Path) -> dict[str, Any]:
    """The manifest's models and their bytes: inswapper_128 and buffalo_l (tiny stand-ins),
    gfpgan_1.4 (3 MB served slowly: long enough to watch it download) and broken (its file
    placed with the wrong bytes: corrupt)."""
    built = build_models(tmp_path / "built")
    blob = bytes((i * 31 + 7) % 251 for i in range(3_000_000))
    served = {
        "inswapper_128": {
            "description": "insightface inswapper_128 face swapper (fp32)",
            "licence": NON_COMMERCIAL,
            "used_by": ["inswapper engine (face.engine inswapper)"],
            "files": {"inswapper_128.onnx": built["swapper"].read_bytes()},
        },
        "buffalo_l": {
            "description": "insightface buffalo_l analysis pack; its detector and recognizer",
            "licence": NON_COMMERCIAL,
            "used_by": ["inswapper engine (detector, recognizer)"],
            "files": {
                "buffalo_l/det_10g.onnx": built["detector"].read_bytes(),
                "buffalo_l/w600k_r50.onnx": built["recognizer"].read_bytes(),
            },
        },
        "gfpgan_1.4": {
            "description": "GFPGAN v1.4 face restorer",
            "licence": "Apache-2.0 (TencentARC/GFPGAN)",
            "used_by": ["face enhancer (face.options.enhancer gfpgan_1.4)"],
            "files": {"gfpgan_1.4.onnx": blob},
        },
        "broken": {
            "description": "a model whose file is there with the wrong bytes",
            "licence": "test only",
            "used_by": ["tests"],
            "files": {"broken.bin": b"the right bytes" * 100},
        },
    }
    manifest = write_manifest(tmp_path / "models.yaml", files, served)
    models = tmp_path / "models"
    models.mkdir()
    (models / "broken.bin").write_bytes(b"the wrong bytes" * 100)  # same size, other hash
    return {"manifest": manifest, "models": models, "served": served}


@pytest.fixture
def services(spawn, tmp_path: Path, catalogue: dict[str, Any]):  # type: ignore[no-untyped-def]
    """The window's services (as tests/gui/conftest.py's), the backend on this manifest."""
    mon = spawn(
        "yl_monitor", ["--db", f"sqlite:///{tmp_path / 'm.db'}", "--no-checks", "--workers", "1"]
    )
    cfg = tmp_path / "backend.yaml"
    cfg.write_text(
        yaml.safe_dump(
            {
                "monitor": {"enabled": False},
                "audio": {"input_device": "no-such-mic"},
                "face": {
                    "sources_dir": str(tmp_path / "faces"),
                    "models_dir": str(catalogue["models"]),
                    "models_manifest": str(catalogue["manifest"]),
                },
                "outputs": {"recordings_dir": str(tmp_path / "recordings")},
                "media": {"folders": [str(tmp_path / "media")]},
            }
        )
    )
    be = spawn("ar_backend", ["--config", str(cfg), "--no-autostart"], health_path="/health")
    return mon, be, cfg


def model_of(listing: bw.ModelsOut, name: str) -> bw.ModelOut:
    return next(m for m in listing.models if m.name == name)


def test_the_clients_model_calls(services, files: Server, catalogue) -> None:  # type: ignore[no-untyped-def]
    from tests.procs import wait_for
    from user_gui.services.clients import ARBackendClient, BackendError

    _mon, be, _cfg = services
    client = ARBackendClient(be.url, timeout=10, retries=0)
    listing = client.models()
    assert isinstance(listing, bw.ModelsOut)
    assert listing.models_dir == str(catalogue["models"])
    assert [m.name for m in listing.models] == [
        "inswapper_128",
        "buffalo_l",
        "gfpgan_1.4",
        "broken",
    ]
    swapper = model_of(listing, "inswapper_128")
    assert swapper.licence == NON_COMMERCIAL and swapper.used_by
    assert [f.state for f in swapper.files] == ["missing"] and swapper.fetch is None
    assert [f.state for f in model_of(listing, "broken").files] == ["corrupt"]

    files.delay = 0.05  # about 2.5 s for gfpgan's 3 MB
    started = client.fetch_model("gfpgan_1.4")
    assert isinstance(started, bw.ModelOut)
    assert started.fetch is not None and started.fetch.state == "downloading"
    wait_for(lambda: model_of(client.models(), "gfpgan_1.4").files[0].state == "downloading", 10)
    cancelled = client.cancel_model_fetch("gfpgan_1.4")
    assert cancelled.fetch is not None and cancelled.fetch.state == "cancelled"
    assert cancelled.files[0].state == "missing"

    files.delay = 0.0
    client.fetch_model("gfpgan_1.4")  # resumed from what was kept
    wait_for(lambda: model_of(client.models(), "gfpgan_1.4").files[0].state == "present", 20)
    done = model_of(client.models(), "gfpgan_1.4")
    assert done.fetch is not None and done.fetch.state == "done"
    data = catalogue["served"]["gfpgan_1.4"]["files"]["gfpgan_1.4.onnx"]
    assert (catalogue["models"] / "gfpgan_1.4.onnx").read_bytes() == data

    with pytest.raises(BackendError) as unknown:
        client.fetch_model("nope")
    assert unknown.value.status == 404 and unknown.value.field == "name"
    with pytest.raises(BackendError) as unknown_cancel:
        client.cancel_model_fetch("nope")
    assert unknown_cancel.value.status == 404
    client.close()


def open_dialog(qtbot, window):  # type: ignore[no-untyped-def]
    qtbot.waitUntil(lambda: window.face_panel.source.choose.isEnabled(), timeout=15000)
    window.models_action.trigger()
    dialog = window.face_panel.models_dialog
    assert dialog is not None and dialog.isVisible()
    assert dialog.parent() is window  # a dialog of the window, not a window of its own
    qtbot.waitUntil(lambda: dialog.listing is not None, timeout=15000)
    return dialog


def test_the_dialog_lists_models_with_licences_and_downloads_one(
    qtbot, window, files: Server, catalogue
) -> None:  # type: ignore[no-untyped-def]
    from PyQt5.QtCore import Qt

    dialog = open_dialog(qtbot, window)
    assert dialog.windowTitle() == "Models"
    assert list(dialog.rows) == ["inswapper_128", "buffalo_l", "gfpgan_1.4", "broken"]
    assert str(catalogue["models"]) in dialog.folder.text().replace("\u200b", "")

    swapper = dialog.rows["inswapper_128"]
    # plain words first (issue 25 item 12): what it is and does, and may a streamer use it
    assert swapper.title.text() == "Face swapper: inswapper"
    assert swapper.what.text().startswith("Puts the face you chose on yours")
    assert swapper.terms.text().startswith("Non-commercial use only")
    assert "#a85600" in swapper.terms.styleSheet()  # restricted: in a warning colour
    assert swapper.state.text() == "missing" and swapper.download.isVisible()
    assert not swapper.cancel.isVisible() and not swapper.bar.isVisible()
    # the technical details folded until asked for: config keys, shapes, files, the licence
    assert not swapper.details.isVisible() and not swapper.licence.isVisible()
    swapper.details_button.click()
    assert swapper.details.isVisible() and swapper.licence.isVisible()
    licence = swapper.licence.text().replace("\u200b", "")
    assert licence == f"Licence: {NON_COMMERCIAL}"  # in full, never cut
    assert swapper.licence.wordWrap()
    assert swapper.used_by.text().startswith("Used by: inswapper engine")
    assert swapper.name.text() == "Name: inswapper_128"
    buffalo = dialog.rows["buffalo_l"]
    assert buffalo.files.text().count("missing") == 2  # one line per file
    assert "buffalo_l/det_10g.onnx: missing" in buffalo.files.text().replace("\u200b", "")
    assert not buffalo.files.isVisible()  # folded

    broken = dialog.rows["broken"]
    assert broken.state.text() == "corrupt"
    assert broken.download.text() == "Download again" and broken.download.isVisible()

    gfpgan = dialog.rows["gfpgan_1.4"]
    assert gfpgan.size_label.text() == "3.0 MB" and "Apache-2.0" in gfpgan.licence.text()
    assert gfpgan.terms.text() == "Free to use, commercial use included (Apache-2.0)."
    files.delay = 0.03  # about 1.5 s: the dialog reads the list every half second meanwhile
    seen: list[tuple[str, bool, int]] = []
    dialog.listed.connect(
        lambda: seen.append((gfpgan.state.text(), gfpgan.bar.isVisible(), gfpgan.bar.value()))
    )
    ready: list[str] = []
    dialog.model_ready.connect(ready.append)
    qtbot.mouseClick(gfpgan.download, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: gfpgan.state.text() == "present", timeout=20000)
    assert ready == ["gfpgan_1.4"]
    downloading = [s for s in seen if s[0] == "downloading"]
    assert downloading, seen
    assert all(visible for _state, visible, _value in downloading)  # the bar while it runs
    assert gfpgan.bar.isVisible() and gfpgan.bar.value() == gfpgan.bar.maximum()
    assert gfpgan.bar.text().startswith("100% · 3.0 of 3.0 MB")
    assert not gfpgan.download.isVisible() and not gfpgan.cancel.isVisible()
    assert not gfpgan.error.isVisible()

    # the same dialog in Chinese
    i18n.set_language("zh_CN")
    assert dialog.windowTitle() == "模型"
    assert gfpgan.state.text() == "已就绪" and broken.state.text() == "已损坏"
    assert swapper.licence.text().startswith("许可协议：")  # noqa: RUF001
    assert swapper.title.text() == "换脸模型：inswapper"  # noqa: RUF001
    assert swapper.terms.text().startswith("仅限非商业用途")
    i18n.set_language("en")
    dialog.close()
    assert not dialog.isVisible()


def test_a_failed_download_shows_its_error(qtbot, window, files: Server) -> None:  # type: ignore[no-untyped-def]
    files.not_found.add("/gfpgan_1.4.onnx")
    dialog = open_dialog(qtbot, window)
    gfpgan = dialog.rows["gfpgan_1.4"]
    gfpgan.download.click()
    qtbot.waitUntil(lambda: gfpgan.error.isVisible(), timeout=20000)
    text = gfpgan.error.full_text
    assert text.startswith("Download failed: gfpgan_1.4: gfpgan_1.4.onnx could not be fetched")
    assert "HTTP 404" in text and "#e5484d" in gfpgan.error.styleSheet()
    assert gfpgan.state.text() == "missing" and gfpgan.download.isVisible()


def engine_index(panel, name: str) -> int:  # type: ignore[no-untyped-def]
    index = panel.engines.engine.findData(name)
    assert index >= 0, name
    return index


def choose_engine(qtbot, panel, name: str) -> None:  # type: ignore[no-untyped-def]
    """Open the engine combo's list and click ``name`` in it, as a person does."""
    from PyQt5.QtCore import Qt

    index = engine_index(panel, name)
    panel.engines.engine.showPopup()
    view = panel.engines.engine.view()
    qtbot.waitUntil(view.isVisible, timeout=5000)
    rect = view.visualRect(view.model().index(index, 0))
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.waitUntil(lambda: not view.isVisible(), timeout=5000)


def test_the_greyed_engines_download_opens_the_dialog_on_its_models(
    qtbot, window, catalogue
) -> None:  # type: ignore[no-untyped-def]
    from PyQt5.QtCore import Qt

    panel = window.face_panel
    qtbot.waitUntil(
        lambda: panel.source.choose.isEnabled() and panel.engines.engine.count() >= 2, timeout=15000
    )
    index = engine_index(panel, "inswapper")
    assert panel.engines.engine.itemText(index) == "inswapper (unavailable)"
    assert not panel.engines.engine.model().item(index).isEnabled()  # greyed, not chosen
    assert "missing model files" in panel.engines.engine.itemData(
        index, Qt.ItemDataRole.ToolTipRole
    )
    assert not panel.engines.engine_note.isVisible()

    choose_engine(qtbot, panel, "inswapper")
    assert (
        panel.engines.engine.currentData() == "classic"
    )  # not asked for: the backend would refuse
    assert panel.engines.engine_note.isVisible() and panel.engines.engine_download.isVisible()
    reason = panel.engines.engine_reason.toolTip()
    assert reason.startswith("inswapper is unavailable: missing model files: ")
    assert "inswapper_128.onnx" in reason

    qtbot.mouseClick(panel.engines.engine_download, Qt.MouseButton.LeftButton)
    dialog = panel.models_dialog
    assert dialog is not None and dialog.isVisible()
    qtbot.waitUntil(lambda: dialog.listing is not None, timeout=15000)
    assert dialog.focus == ["inswapper_128", "buffalo_l"]
    assert dialog.focus_line.text() == "The inswapper engine needs: inswapper_128, buffalo_l"
    order = [dialog.list.list_layout.itemAt(i).widget() for i in range(4)]
    assert [row.model.name for row in order] == [
        "inswapper_128",
        "buffalo_l",
        "gfpgan_1.4",
        "broken",
    ]
    assert [row.property("focused") for row in order] == [True, True, False, False]

    # both downloaded: the panel reads the engines again, and inswapper can be chosen
    for name in dialog.focus:
        dialog.rows[name].download.click()
    qtbot.waitUntil(
        lambda: all(dialog.rows[n].state.text() == "present" for n in dialog.focus),
        timeout=30000,
    )
    qtbot.waitUntil(
        lambda: panel.engines.engine.itemText(engine_index(panel, "inswapper")) == "inswapper",
        timeout=15000,
    )
    assert not panel.engines.engine_note.isVisible()
    for name, spec in catalogue["served"].items():
        if name in dialog.focus:
            for rel, data in spec["files"].items():
                assert (catalogue["models"] / rel).read_bytes() == data


def test_a_corrupt_engine_file_is_shown_and_fetched_again(qtbot, window, catalogue) -> None:  # type: ignore[no-untyped-def]
    from PyQt5.QtCore import Qt

    models: Path = catalogue["models"]
    for rel, data in catalogue["served"]["buffalo_l"]["files"].items():
        (models / rel).parent.mkdir(parents=True, exist_ok=True)
        (models / rel).write_bytes(data)
    good = catalogue["served"]["inswapper_128"]["files"]["inswapper_128.onnx"]
    (models / "inswapper_128.onnx").write_bytes(bytes(len(good)))  # the size, not the hash

    panel = window.face_panel
    qtbot.waitUntil(
        lambda: panel.source.choose.isEnabled() and panel.engines.engine.count() >= 2, timeout=15000
    )
    tip = panel.engines.engine.itemData(
        engine_index(panel, "inswapper"), Qt.ItemDataRole.ToolTipRole
    )
    assert "is corrupt" in tip
    choose_engine(qtbot, panel, "inswapper")
    reason = panel.engines.engine_reason.toolTip()
    assert "inswapper_128.onnx is corrupt" in reason
    assert "python -m ar_backend.weights fetch inswapper_128" in reason
    assert panel.engines.engine_download.isVisible()
    panel.engines.engine_download.click()
    dialog = panel.models_dialog
    assert dialog is not None
    qtbot.waitUntil(lambda: dialog.listing is not None, timeout=15000)
    row = dialog.rows["inswapper_128"]
    assert row.state.text() == "corrupt" and row.download.text() == "Download again"
    assert dialog.rows["buffalo_l"].state.text() == "present"
    assert not dialog.rows["buffalo_l"].download.isVisible()
    row.download.click()
    qtbot.waitUntil(lambda: row.state.text() == "present", timeout=20000)
    assert (models / "inswapper_128.onnx").read_bytes() == good
    qtbot.waitUntil(lambda: not panel.engines.engine_note.isVisible(), timeout=15000)

    # now it can be chosen, and the backend runs it
    choose_engine(qtbot, panel, "inswapper")
    qtbot.waitUntil(
        lambda: (
            panel.engines.engine.currentData() == "inswapper" and panel.engines.engine.isEnabled()
        ),
        timeout=60000,
    )
    qtbot.waitUntil(lambda: "inswapper on " in panel.engines.state.text(), timeout=15000)
