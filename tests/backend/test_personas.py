"""Personas through the API in process: saved with the loaded face, a voice chain and a label,
applied as one change, kept across a restart; bad input is a 400 naming the field and
changes nothing."""

from __future__ import annotations

import io
import time
from typing import Any

import pytest

from ar_backend.face import samples
from shared.wire.backend import PersonaDeleteOut, PersonaListOut
from tests.procs import wait_for

VOICE = [
    {"type": "pitch", "params": {"semitones": -3}},
    {"type": "formant", "params": {"semitones": -2}},
]


def load_face(client: Any) -> None:
    data = {"image": (io.BytesIO(samples.encode(samples.astronaut())), "astronaut.jpg")}
    resp = client.post("/face/load", data=data, content_type="multipart/form-data")
    assert resp.status_code == 200, resp.get_json()


@pytest.mark.slow
def test_a_persona_is_saved_applied_as_one_change_and_kept(make_studio) -> None:
    client, studio = make_studio(pipeline={"processors": ["face_swap", "overlay"]})
    load_face(client)
    body = {"name": "Captain", "label": "Captain Nova", "voice": VOICE, "slot": 1}
    saved = client.post("/personas", json=body)
    assert saved.status_code == 200, saved.get_json()
    assert saved.get_json()["face"]["photos"] == 1 and saved.get_json()["slot"] == 1
    keep = {"name": "Radio host", "label": "", "voice": [{"type": "lowpass"}], "face": "keep"}
    assert client.post("/personas", json=keep).status_code == 200
    listed = client.get("/personas").get_json()
    assert [p["name"] for p in listed["personas"]] == ["Captain", "Radio host"]

    client.delete("/face/load")  # another face state, then the persona brings its own back
    client.post("/audio/chain", json={"effects": [{"type": "robot"}]})
    applied = client.post("/personas/Captain/apply")
    assert applied.status_code == 200, applied.get_json()
    answer = applied.get_json()
    assert answer["face"]["loaded"] and answer["label_shown"] is True
    assert [e.type for e in studio.audio.status().effects] == ["pitch", "formant"]
    assert studio.face.source_status().loaded
    overlay = next(p for p in studio.pipeline.processors if p.name == "overlay")
    assert overlay.persona_label == "Captain Nova"
    assert client.get("/personas").get_json()["active"] == "Captain"

    # "keep": the face stays, the voice and the label change
    applied = client.post("/personas/radio host/apply")  # names are matched without case
    assert applied.status_code == 200 and applied.get_json()["face"] is None
    assert [e.type for e in studio.audio.status().effects] == ["lowpass"]
    assert overlay.persona_label == "" and studio.face.source_status().loaded

    # kept across a restart (a new studio on the same data folder)
    client2, _studio2 = make_studio(pipeline={"processors": ["face_swap", "overlay"]})
    again = client2.get("/personas").get_json()
    assert [(p["name"], p["slot"]) for p in again["personas"]] == [
        ("Captain", 1),
        ("Radio host", None),
    ]
    assert client2.post("/personas/Captain/apply").status_code == 200


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "../etc", "face": "keep"}, "name"),
        ({"name": "a/b", "face": "keep"}, "name"),
        ({"name": "c:\\x", "face": "keep"}, "name"),
        ({"name": " lead", "face": "keep"}, "name"),
        ({"name": "x" * 41, "face": "keep"}, "name"),
        ({"name": "ok", "face": "keep", "voice": [{"type": "warp"}]}, "voice"),
        (
            {
                "name": "ok",
                "face": "keep",
                "voice": [{"type": "pitch", "params": {"semitones": 40}}],
            },
            "voice.0.params.semitones",
        ),
        (
            {
                "name": "ok",
                "face": "keep",
                "voice": [{"type": "pitch", "params": {"semitones": "up"}}],
            },
            "voice.0.params.semitones",
        ),
        ({"name": "ok", "face": "keep", "label": "bad\nlabel"}, "label"),
        ({"name": "ok", "face": "keep", "slot": 5}, "slot"),
        ({"name": "ok", "face": "somebody"}, "face"),
        ({"name": "ok", "face": "loaded"}, "face"),  # no face is loaded: 409
    ],
)
def test_bad_personas_name_the_field_and_change_nothing(
    make_studio, body: dict, field: str
) -> None:
    client, studio = make_studio()
    assert client.post("/personas", json={"name": "First", "face": "keep"}).status_code == 200
    before = client.get("/personas").get_json()
    resp = client.post("/personas", json=body)
    assert resp.status_code in (400, 409), resp.get_json()
    got = resp.get_json()["field"]
    assert got == field or got.startswith(field + "."), resp.get_json()
    assert client.get("/personas").get_json() == before
    assert studio.personas.folder.joinpath("personas.json").exists()


def test_a_deleted_persona_leaves_the_list_and_is_named(make_studio) -> None:
    client, _studio = make_studio()
    for name in ("First", "Second"):
        body = {"name": name, "face": "keep", "voice": [{"type": "echo"}]}
        assert client.post("/personas", json=body).status_code == 200
    resp = client.delete("/personas/first")  # names are matched without case
    assert resp.status_code == 200, resp.get_json()
    gone = PersonaDeleteOut.model_validate(resp.get_json())  # (strict: every field declared)
    assert gone.deleted == "First" and gone.count == 1
    assert [p.name for p in gone.personas] == ["Second"]
    listed = PersonaListOut.model_validate(client.get("/personas").get_json())
    assert [(p.name, [e["type"] for e in p.voice]) for p in listed.personas] == [
        ("Second", ["echo"])
    ]


def test_unknown_personas_are_404_and_path_names_are_refused(make_studio) -> None:
    client, studio = make_studio()
    client.post("/audio/chain", json={"effects": [{"type": "echo"}]})
    for path, status in (("/personas/nobody/apply", 404), ("/personas/..secret/apply", 400)):
        resp = client.post(path)
        assert resp.status_code == status, resp.get_json()
        assert resp.get_json()["field"] == "name"
    # an encoded slash is no name at all: the route does not match
    assert client.post("/personas/..%2F..%2Fetc/apply").status_code == 404
    assert client.delete("/personas/nobody").status_code == 404
    assert [e.type for e in studio.audio.status().effects] == ["echo"]  # unchanged


def test_a_persona_switch_waits_for_the_frame_in_progress(make_studio) -> None:
    """Face, label and voice change between two frames: while the switch holds the frame
    boundary, no frame goes through the processors."""
    client, studio = make_studio()
    assert client.post("/camera/start", json={"source": "demo"}).status_code == 200
    wait_for(lambda: studio.pipeline.frames_out > 3, timeout=10)
    with studio.pipeline.between_frames():
        held = studio.pipeline.frames_out
        time.sleep(0.3)
        assert studio.pipeline.frames_out <= held + 1  # at most the one already past it
    wait_for(lambda: studio.pipeline.frames_out > held + 3, timeout=10)


def test_persona_refusals_carry_their_catalogue_key_and_arguments(make_studio) -> None:
    """A window in another language says a persona refusal in its own words: each carries its
    persona.* key and arguments beside the English (never the catch-all ``text``)."""
    client, _studio = make_studio()
    cases = [
        (client.post("/personas/nobody/apply"), "persona.not_found", {"name": "nobody"}),
        (client.post("/personas/..secret/apply"), "persona.bad_name", {"field": "name"}),
        (
            client.post("/personas", json={"name": "ok", "face": "loaded"}),
            "persona.no_face_loaded",
            {},
        ),
        (
            client.post(
                "/personas",
                json={"name": "ok", "voice": [{"type": "pitch", "params": {"semitones": 99}}]},
            ),
            "persona.bad_voice",
            None,
        ),
    ]
    for resp, key, args in cases:
        body = resp.get_json()
        assert body["message_key"] == key, body
        if args is not None:
            assert body["message_args"] == args, body
        assert body["message"] and "{" not in body["message"]
    assert cases[0][0].get_json()["message"] == "name: there is no persona 'nobody'"
