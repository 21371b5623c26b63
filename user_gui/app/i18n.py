"""The window's languages: English source strings, looked up in the active catalog.

A small layer of our own (Qt's ``lrelease`` does not come with PyQt5 from pip, so no ``.qm``
files): code says ``tr("Choose face…")`` or ``tr("face {n} of {count}", n=3, count=6)``; the
English text is the key, and a string missing from a catalog is shown in English.

Changing the language (``set_language``) sends Qt's ``LanguageChange`` event to every window,
as installing a QTranslator would: a widget re-labels itself in ``changeEvent``. The
Simplified Chinese catalog lives in ``i18n_zh``; ``missing_translations`` finds the ``tr``
calls in our sources that it lacks (a test keeps it complete).
"""

from __future__ import annotations

import ast
import logging
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from shared.messages import UnknownMessage, render

log = logging.getLogger(__name__)

DEFAULT = "en"
_NAMES = {"en": "English", "zh_CN": "简体中文"}
_active = DEFAULT


def _catalog(code: str) -> dict[str, str]:
    if code == "zh_CN":
        from user_gui.app.i18n_zh import CATALOG

        return CATALOG
    return {}


def _messages(code: str) -> dict[str, str]:
    """The services' messages by key (shared/messages.py's keys) in language ``code``."""
    if code == "zh_CN":
        from user_gui.app.i18n_zh import MESSAGES

        return MESSAGES
    return {}


def available() -> dict[str, str]:
    """Each language code with its name in that language."""
    return dict(_NAMES)


def language() -> str:
    """The active language's code."""
    return _active


def pick_language(setting: str | None, locale_name: str) -> str:
    """The language to start in: the person's setting if it names one we have; else Chinese
    for a ``zh*`` system locale (``QLocale.system().name()``, e.g. ``zh_CN``, ``zh_TW``);
    else English."""
    if setting and setting in _NAMES:
        return setting
    if locale_name.lower().startswith("zh"):
        return "zh_CN"
    return DEFAULT


def set_language(code: str) -> None:
    """Make ``code`` (one of ``available()``) the active language and tell every window."""
    global _active
    if code not in _NAMES:
        raise ValueError(f"unknown language {code!r}; one of {', '.join(_NAMES)}")
    changed = code != _active
    _active = code
    if changed:
        _announce()


def _announce() -> None:
    """Qt's LanguageChange to each top-level widget, at once (a QWidget hands it on to its
    children, each one's ``changeEvent`` sees it)."""
    try:
        from PyQt5.QtCore import QCoreApplication, QEvent
        from PyQt5.QtWidgets import QApplication
    except ImportError:  # pragma: no cover - the window always has Qt
        return
    app = QCoreApplication.instance()
    if not isinstance(app, QApplication):
        return
    for widget in QApplication.topLevelWidgets():
        QCoreApplication.sendEvent(widget, QEvent(QEvent.Type.LanguageChange))


def tr(text: str, **fmt: object) -> str:
    """``text`` (English) in the active language, formatted with ``fmt`` (``str.format``).

    A translation whose placeholders do not fit ``fmt`` falls back to the English text."""
    translated = _catalog(_active).get(text, text)
    if not fmt:
        return translated
    try:
        return translated.format(**fmt)
    except (KeyError, IndexError, ValueError) as exc:
        if translated is text:
            raise
        log.warning("translation of %r does not format (%s): English shown", text, exc)
        return text.format(**fmt)


def message(text: str | None, key: str | None = None, args: Mapping[str, Any] | None = None) -> str:
    """A service's human-readable text in the active language: its key (``X_key``) and
    parameters (``X_args``) rendered from this language's message catalogue, else the English
    ``text`` the service sent (a key not known here, a parameter that does not fit)."""
    english = text or ""
    if not key:
        return english
    catalogue = _messages(_active)
    if key not in catalogue:
        return english
    try:
        return render(key, dict(args or {}), catalogue)
    except UnknownMessage as exc:
        log.warning("message %s not rendered in %s (%s): English shown", key, _active, exc)
        return english


def field_message(model: object, name: str) -> str:
    """``message`` for the text field ``name`` of a service's answer (a wire model or a
    dict), with its ``name_key`` and ``name_args`` siblings."""

    def get(field: str) -> Any:
        if isinstance(model, Mapping):
            return model.get(field)
        return getattr(model, field, None)

    text, key, args = get(name), get(f"{name}_key"), get(f"{name}_args")
    return message(
        text if isinstance(text, str) else None,
        key if isinstance(key, str) else None,
        args if isinstance(args, Mapping) else None,
    )


# ---- keeping the catalog complete ----------------------------------------------------------


def _is_tr(func: ast.expr) -> bool:
    if isinstance(func, ast.Name):
        return func.id == "tr"
    # i18n.tr(...); never self.tr(...), which is Qt's own and not ours
    return (
        isinstance(func, ast.Attribute)
        and func.attr == "tr"
        and isinstance(func.value, ast.Name)
        and func.value.id == "i18n"
    )


def tr_strings(source: str, filename: str = "<source>") -> list[str]:
    """The literal first arguments of the ``tr(...)`` calls in Python ``source``, in order."""
    found: list[str] = []
    for node in ast.walk(ast.parse(source, filename)):
        if isinstance(node, ast.Call) and _is_tr(node.func) and node.args:
            first = node.args[0]
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                found.append(first.value)
    return found


def _python_files(paths: Iterable[str | Path]) -> list[Path]:
    files: list[Path] = []
    for item in paths:
        path = Path(item)
        files.extend(sorted(path.rglob("*.py")) if path.is_dir() else [path])
    return files


def missing_translations(paths: Iterable[str | Path], code: str = "zh_CN") -> list[str]:
    """The strings passed to ``tr`` in these files (folders: every ``.py`` below) that the
    ``code`` catalog lacks, sorted, each once (English, the source language, lacks none)."""
    if code == DEFAULT:
        return []
    catalog = _catalog(code)
    missing: set[str] = set()
    for path in _python_files(paths):
        for text in tr_strings(path.read_text(encoding="utf-8"), str(path)):
            if text not in catalog:
                missing.add(text)
    return sorted(missing)
