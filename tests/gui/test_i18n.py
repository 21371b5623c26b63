"""The window's languages (user_gui/app/i18n.py): lookups, the choice at start, and a catalog
that cannot fall behind the code."""

from __future__ import annotations

import string
from pathlib import Path

import pytest

pytest.importorskip("PyQt5")

from user_gui.app import i18n
from user_gui.app.i18n import tr
from user_gui.app.i18n_zh import CATALOG

APP = Path(__file__).resolve().parents[2] / "user_gui" / "app"


def test_every_tr_string_in_the_window_has_a_chinese_translation() -> None:
    files = sorted(APP.rglob("*.py"))  # the face/ panels too
    assert any("tr(" in f.read_text(encoding="utf-8") for f in files)
    missing = i18n.missing_translations(files)
    assert missing == [], "add these to user_gui/app/i18n_zh.py:\n" + "\n".join(missing)


def fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def test_translations_keep_their_placeholders() -> None:
    wrong = {k: v for k, v in CATALOG.items() if fields(k) != fields(v)}
    assert wrong == {}
    assert all(v.strip() for v in CATALOG.values())


def test_missing_translations_scans_the_source_for_literal_tr_calls(tmp_path: Path) -> None:
    source = tmp_path / "panel.py"
    source.write_text(
        "from user_gui.app import i18n\n"
        "from user_gui.app.i18n import tr\n"
        "a = tr('Face')\n"  # translated
        "b = tr('A string nobody translated {n}', n=1)\n"
        "c = i18n.tr('Another new one')\n"
        "d = self.tr('Qt own tr, not ours')\n"
        "e = tr(f'{a} dynamic')\n"  # not a literal: cannot be checked
        "f = tr('A string nobody translated {n}', n=2)\n",
        encoding="utf-8",
    )
    assert i18n.tr_strings(source.read_text()) == [
        "Face",
        "A string nobody translated {n}",
        "Another new one",
        "A string nobody translated {n}",
    ]
    assert i18n.missing_translations([source]) == [
        "A string nobody translated {n}",
        "Another new one",
    ]
    assert i18n.missing_translations([tmp_path]) == i18n.missing_translations([source])
    assert i18n.missing_translations([source], "en") == []


def test_tr_looks_up_formats_and_falls_back_to_english() -> None:
    assert i18n.language() == "en"
    assert tr("Choose face…") == "Choose face…"
    assert tr("face {n} of {count}", n=3, count=6) == "face 3 of 6"
    i18n.set_language("zh_CN")
    assert i18n.language() == "zh_CN"
    assert tr("Choose face…") == "选择人脸…"
    assert tr("face {n} of {count}", n=3, count=6) == "第 3 张，共 6 张"  # noqa: RUF001
    assert tr("Virtual camera") == "虚拟摄像头"
    assert tr("Not in any catalog {x}", x=1) == "Not in any catalog 1"  # English stands in
    assert tr("{braces} stay unformatted") == "{braces} stay unformatted"


def test_a_translation_that_does_not_format_falls_back(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setitem(CATALOG, "hello {name}", "你好 {nom}")
    i18n.set_language("zh_CN")
    assert tr("hello {name}", name="x") == "hello x"


def test_languages_and_the_choice_at_start() -> None:
    assert i18n.available() == {"en": "English", "zh_CN": "简体中文"}
    assert i18n.pick_language("en", "zh_CN") == "en"  # the person's choice wins
    assert i18n.pick_language("zh_CN", "en_US") == "zh_CN"
    assert i18n.pick_language(None, "zh_CN") == "zh_CN"
    assert i18n.pick_language(None, "zh_TW") == "zh_CN"
    assert i18n.pick_language("", "zh_HK") == "zh_CN"
    assert i18n.pick_language("fr", "de_DE") == "en"  # a setting we do not have: the locale
    assert i18n.pick_language(None, "en_GB") == "en"
    assert i18n.pick_language(None, "C") == "en"
    with pytest.raises(ValueError, match="unknown language"):
        i18n.set_language("fr")
    assert i18n.language() == "en"


def test_switching_the_language_relabels_the_face_panel(qtbot, tmp_path: Path) -> None:
    from PyQt5.QtCore import QSettings

    from user_gui.app.face.panel import FacePanel
    from user_gui.services.clients import ARBackendClient

    # no call reaches the backend here: the panel only draws
    panel = FacePanel(
        ARBackendClient("http://127.0.0.1:9", timeout=1, retries=0),
        QSettings(str(tmp_path / "gui.ini"), QSettings.IniFormat),
    )
    qtbot.addWidget(panel)
    panel.show()
    english = (
        panel.title(),
        panel.source.choose.text(),
        panel.source.swap.text(),
        panel.source.guidance.text(),
    )
    assert english[:3] == ("Face", "Choose face…", "SWAP OFF")
    assert "1&nbsp;Camera" in english[3] and "Next: start the camera." in english[3]
    assert panel.source.name.text() == "no face loaded"
    assert panel.engines.many_faces.text() == "Many faces"

    i18n.set_language("zh_CN")  # each window is told at once (Qt's LanguageChange)
    assert panel.title() == "人脸"
    assert panel.source.choose.text() == "选择人脸…"
    assert panel.source.swap.text() == "换脸：关闭"  # noqa: RUF001
    assert panel.engines.many_faces.text() == "替换多张人脸"
    assert panel.engines.engine_label.text() == "引擎"
    assert panel.engines.blend.itemText(0) == "无缝融合"
    assert panel.source.name.text() == "未加载人脸"
    assert (
        "1&nbsp;摄像头" in panel.source.guidance.text() and "下一步" in panel.source.guidance.text()
    )
    assert panel.engines.state.text() == "正在检查后端服务…"

    i18n.set_language("en")
    assert (panel.title(), panel.source.choose.text(), panel.source.swap.text()) == english[:3]
    assert panel.source.guidance.text() == english[3]
