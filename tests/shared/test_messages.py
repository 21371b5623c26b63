"""The message catalogue (shared/messages.py): every text a person reads goes out with its key
and args, the English rendered from the one catalogue."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from shared.messages import (
    CATALOGUE,
    KeyedError,
    Message,
    UnknownMessage,
    list_fields,
    message_of,
    msg,
    placeholders,
    render,
    text_fields,
)

ROOT = Path(__file__).resolve().parents[2]
PRODUCT = ("shared", "ar_backend", "yl_monitor", "user_gui")


def _msg_calls() -> list[tuple[str, int, str, set[str]]]:
    """Every ``msg("key", name=...)`` call in the product: file, line, key, argument names."""
    found = []
    for package in PRODUCT:
        for path in sorted((ROOT / package).rglob("*.py")):
            text = path.read_text(encoding="utf-8")
            if "msg(" not in text:
                continue
            tree = ast.parse(text)
            for node in ast.walk(tree):
                if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
                    continue
                if node.func.id != "msg" or not node.args:
                    continue
                first = node.args[0]
                if not (isinstance(first, ast.Constant) and isinstance(first.value, str)):
                    continue  # a key chosen at run time: msg() checks it then
                names = {kw.arg for kw in node.keywords if kw.arg is not None}
                where = str(path.relative_to(ROOT))
                found.append((where, node.lineno, first.value, names))
    return found


def test_every_key_the_code_names_is_in_the_catalogue_with_exactly_its_parameters():
    calls = _msg_calls()
    assert len(calls) >= 5  # the scan finds the code's calls
    problems = []
    for where, line, key, names in calls:
        if key not in CATALOGUE:
            problems.append(f"{where}:{line}: {key!r} is not in the catalogue")
        elif placeholders(CATALOGUE[key]) != names:
            wanted = sorted(placeholders(CATALOGUE[key]))
            problems.append(f"{where}:{line}: {key!r} takes {wanted}, given {sorted(names)}")
    assert not problems, "\n".join(problems)


def test_keys_are_dotted_lower_case_and_templates_name_their_parameters():
    for key, template in CATALOGUE.items():
        assert key == key.lower() and " " not in key, key
        assert all(name.isidentifier() for name in placeholders(template)), key


def test_a_message_renders_its_english_and_carries_key_and_args():
    message = msg(
        "picture.too_many_pixels",
        width=30000,
        height=30000,
        megapixels=900.0,
        limit_megapixels=40,
        key="media.max_picture_megapixels",
    )
    assert str(message).startswith("the picture is 30000x30000 px (900.0 megapixels)")
    assert "40 megapixels" in str(message)
    out = message.fields("error")
    assert out["error"] == str(message)
    assert out["error_key"] == "picture.too_many_pixels"
    assert out["error_args"]["width"] == 30000


def test_a_wrong_key_or_wrong_parameters_fail_where_they_are_made():
    with pytest.raises(UnknownMessage):
        msg("no.such.key")
    with pytest.raises(UnknownMessage):
        msg("error.not_found")  # path missing
    with pytest.raises(UnknownMessage):
        msg("error.not_found", path="/x", extra=1)
    with pytest.raises(UnknownMessage):
        render("error.not_found", {})


def test_text_without_a_key_goes_out_under_text_and_none_stays_none():
    assert text_fields("error", "disk full") == {
        "error": "disk full",
        "error_key": "text",
        "error_args": {"text": "disk full"},
    }
    assert text_fields("note", None) == {"note": None, "note_key": None, "note_args": None}
    both = list_fields("notes", [msg("error.internal"), "plain"])
    assert both["notes"] == [str(msg("error.internal")), "plain"]
    assert both["notes_key"] == ["error.internal", "text"]
    assert both["notes_args"] == [{}, {"text": "plain"}]


def test_an_exception_carries_its_message():
    exc = KeyedError(msg("error.not_found", path="/x"))
    assert str(exc) == "no such resource: /x"
    assert message_of(exc) == Message("error.not_found", {"path": "/x"})
    assert message_of(ValueError("boom")) == Message("text", {"text": "boom"})


def test_the_error_envelope_carries_the_key_and_args(make_monitor):
    app, _ = make_monitor()
    client = app.test_client()
    missing = client.get("/api/nope")
    assert missing.status_code == 404
    assert missing.json["message_key"] == "error.not_found"
    assert missing.json["message_args"] == {"path": "/api/nope"}
    assert missing.json["message"] == "no such resource: /api/nope"
    bad = client.post(
        "/api/ar/nodes/n1/heartbeat",
        json={"resources": {"cpu_percent": "lots"}},
    )
    assert bad.status_code == 400
    assert bad.json["message_key"] == "error.field"
    assert bad.json["message_args"]["field"] == "resources.cpu_percent"
    assert bad.json["message"] == render("error.field", bad.json["message_args"])
