"""What the window knows of the model files (issue 16), with no widget in it: which models
each engine needs, the enhancers by name, and each model's state, size and progress as a
person reads them. The Models dialog, the face panels and the Files tab share these."""

from __future__ import annotations

import re

from shared.wire.backend import ModelOut, ModelsOut
from user_gui.app.i18n import tr

MB = 1_000_000

# Which models each engine needs. The manifest's ``used_by`` is free text for people, so the
# window keeps this small map; an engine not in it gets the models whose used_by names it.
ENGINE_MODELS: dict[str, tuple[str, ...]] = {
    "inswapper": ("inswapper_128", "buffalo_l"),
    "hyperswap": ("hyperswap_1a_256", "buffalo_l"),
}

ENHANCERS = ("off", "gfpgan_1.4", "gpen_bfr_256", "gpen_bfr_512")  # the API's names
ENHANCER_NAMES = {
    "gfpgan_1.4": "GFPGAN 1.4",
    "gpen_bfr_256": "GPEN-BFR 256",
    "gpen_bfr_512": "GPEN-BFR 512",
}

STATE_COLOURS = {
    "present": "#2fbf71",
    "unverified": "#e8b339",
    "missing": "#8a96a3",
    "corrupt": "#e5484d",
    "downloading": "#2f81f7",
}


PERMISSIVE = re.compile(r"\b(Apache-2\.0|MIT|BSD-[23]-Clause|Zlib|ISC)\b")


def plain_words(name: str, description: str = "") -> tuple[str, str]:
    """A model's name and what it does, for a person (the manifest's ``description`` is
    for developers: it stays under Details); a model not known here: its name, that text."""
    known = {
        "inswapper_128": (
            tr("Face swapper: inswapper"),
            tr("Puts the face you chose on yours, live (the inswapper engine)."),
        ),
        "inswapper_128_fp16": (
            tr("Face swapper: inswapper, half size"),
            tr("The same face swapper at half the size; used when the full one is not there."),
        ),
        "buffalo_l": (
            tr("Face finder and recogniser"),
            tr(
                "Finds the faces in the picture and tells people apart; the neural engines need it."
            ),
        ),
        "hyperswap_1a_256": (
            tr("Face swapper: HyperSwap"),
            tr("Puts the face you chose on yours, sharper than inswapper (the hyperswap engine)."),
        ),
        "gfpgan_1.4": (
            tr("Face enhancer: GFPGAN 1.4"),
            tr("Restores detail in the swapped face: eyes, skin and teeth look sharper."),
        ),
        "gpen_bfr_256": (
            tr("Face enhancer: GPEN-BFR 256"),
            tr("Restores detail in the swapped face; lighter and faster than GFPGAN."),
        ),
        "gpen_bfr_512": (
            tr("Face enhancer: GPEN-BFR 512"),
            tr("Restores detail in the swapped face, at a higher resolution."),
        ),
        "mediapipe_face": (
            tr("Face tracker (MediaPipe)"),
            tr("Finds faces quickly and follows them from frame to frame."),
        ),
        "mediapipe_hands": (
            tr("Hand finder (MediaPipe)"),
            tr("Finds hands, so a hand in front of the face stays in front."),
        ),
        "mediapipe_segmentation": (
            tr("Person outline (MediaPipe)"),
            tr("Tells you apart from the background."),
        ),
    }
    return known.get(name, (name, description))


def licence_summary(licence: str) -> str:
    """Whether a streamer may use the model, in one line (the licence in full is under
    Details)."""
    if restricted(licence):
        return tr("Non-commercial use only: not for streams or videos that earn money.")
    found = PERMISSIVE.search(licence)
    if found:
        return tr("Free to use, commercial use included ({licence}).", licence=found.group(1))
    return tr("Read its licence under Details before you use it.")


def enhancer_name(model: str) -> str:
    """What a person reads for an enhancer model ("GFPGAN 1.4"; "Off" for off)."""
    return tr("Off") if model == "off" else ENHANCER_NAMES.get(model, model)


def models_for_engine(engine: str, listing: ModelsOut | None = None) -> list[str]:
    """The models ``engine`` needs: from ENGINE_MODELS, else the listed models whose
    ``used_by`` text names it."""
    if engine in ENGINE_MODELS:
        return list(ENGINE_MODELS[engine])
    if listing is None:
        return []
    word = re.compile(rf"\b{re.escape(engine)}\b", re.IGNORECASE)
    return [m.name for m in listing.models if any(word.search(u) for u in m.used_by)]


def needs_model_files(reason: str | None) -> bool:
    """An unavailable engine's or enhancer's reason is about its model files (missing, or
    present with the wrong size or hash): downloading them is the fix."""
    text = (reason or "").lower()
    return any(
        key in text
        for key in ("missing model file", "is corrupt", "model file", "not in the models folder")
    )


def model_state(model: ModelOut) -> str:
    """The model as a whole: downloading, corrupt, missing, unverified or present."""
    states = {f.state for f in model.files}
    downloading = model.fetch is not None and model.fetch.state == "downloading"
    for state in ("downloading", "corrupt", "missing", "unverified"):
        if state in states:
            return state
    return "downloading" if downloading else "present"


def is_ready(model: ModelOut) -> bool:
    return all(f.state in ("present", "unverified") for f in model.files)


def model_size(model: ModelOut) -> int:
    return sum(f.size for f in model.files)


def model_progress(model: ModelOut) -> tuple[int, int]:
    """Bytes downloaded and bytes in all, over its files (a file already in place counts as
    done)."""
    done = total = 0
    for f in model.files:
        size = f.bytes_total or f.size
        total += size
        if f.state in ("present", "unverified"):
            done += size
        elif f.state == "downloading":
            done += min(f.bytes_done or 0, size)
    return done, total


def megabytes(n: int) -> str:
    value = n / MB
    if value < 1:
        return f"{value:.2f}"
    return f"{value:.1f}" if value < 100 else f"{value:.0f}"


def state_text(state: str) -> str:
    return {
        "present": tr("present"),
        "missing": tr("missing"),
        "corrupt": tr("corrupt"),
        "unverified": tr("unverified"),
        "downloading": tr("downloading"),
    }.get(state, state)


def restricted(licence: str) -> bool:
    """The licence limits use (non-commercial, research only): shown in a warning colour."""
    text = licence.lower()
    return "non-commercial" in text or "noncommercial" in text or "research" in text
