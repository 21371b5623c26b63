"""Request bodies the backend accepts (pydantic, strict)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    create_model,
    field_validator,
    model_validator,
)


class CameraStartIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)

    device_id: int | None = Field(None, ge=0, le=63)
    source: str | None = Field(None, min_length=1, max_length=2048)

    @model_validator(mode="after")
    def _one(self) -> CameraStartIn:
        if self.device_id is not None and self.source is not None:
            raise ValueError("give device_id or source, not both")
        return self

    def spec(self) -> str | int | None:
        return self.device_id if self.device_id is not None else self.source


class RecordStartIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    file_name: str | None = Field(None, min_length=1, max_length=100)


class MonitorReportIn(BaseModel):
    """The status payload the GUI sends (its heartbeat body, docs/contracts.md); kept as sent."""

    model_config = ConfigDict(extra="allow", strict=True)

    node_id: str | None = Field(None, max_length=64)
    status: str | None = Field(None, max_length=32)

    def payload(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_none=True)


class EffectIn(BaseModel):
    """One effect: ``{"type": "pitch", "params": {"semitones": 5}, "bypass": false}``; the
    parameters are checked against the effect type's own ranges (GET /audio/effects)."""

    model_config = ConfigDict(extra="forbid", strict=True)

    type: str = Field(..., min_length=1, max_length=64, description="An effect type.")
    params: dict[str, bool | float | int] = Field(
        default_factory=dict, max_length=16, description="Parameters; the rest keep defaults."
    )
    bypass: bool = Field(False, description="Keep it in the chain but let the voice through.")

    def spec(self) -> dict[str, Any]:
        return {"type": self.type, "params": dict(self.params), "bypass": self.bypass}


class ChainIn(BaseModel):
    """The whole chain at once (at most ``audio.max_effects``, checked by the chain)."""

    model_config = ConfigDict(extra="forbid", strict=True)

    effects: list[EffectIn] = Field(..., max_length=64, description="In processing order.")


class PersonaIn(BaseModel):
    """``POST /personas``: save a persona (a name already saved is replaced)."""

    model_config = ConfigDict(extra="forbid", strict=True)

    name: str = Field(
        ...,
        min_length=1,
        max_length=40,
        description="Letters, digits, spaces, _ or - (no path characters).",
    )
    label: str = Field(
        "", max_length=64, description="Drawn on the output while it is applied ('' none)."
    )
    voice: list[EffectIn] = Field(
        default_factory=list, max_length=64, description="The voice chain, in order."
    )
    face: Literal["loaded", "keep"] = Field(
        "loaded",
        description="loaded: the face (or face set) loaded now is saved with it; keep: "
        "applying it leaves the face as it is.",
    )
    slot: int | None = Field(None, ge=1, le=4, description="Its hotkey, F1-F4.")

    @field_validator("label")
    @classmethod
    def _printable(cls, value: str) -> str:
        if any(not ch.isprintable() for ch in value):
            raise ValueError("the label has a control character")
        return value


AudioDeviceChoice = (
    Annotated[str, Field(min_length=1, max_length=256)] | Annotated[int, Field(ge=0, le=1023)]
)


class AudioStartIn(BaseModel):
    """``POST /audio/start``: optionally the devices to use (kept for later starts). A field
    left out keeps the device in use; ``null`` goes back to the configured one (``audio.*``,
    else PortAudio's default)."""

    model_config = ConfigDict(extra="forbid", strict=True)

    input_device: AudioDeviceChoice | None = Field(
        None, description="The microphone: a name or an index from GET /audio/devices."
    )
    output_device: AudioDeviceChoice | None = Field(
        None,
        description="Where the changed voice goes (e.g. the virtual microphone's sink): a "
        "name or an index from GET /audio/devices.",
    )

    @field_validator("input_device", "output_device", mode="before")
    @classmethod
    def _name_or_index(cls, value: Any) -> Any:
        """One message naming the field (a union's own errors name each branch)."""
        if value is None:
            return value
        if isinstance(value, str) and 1 <= len(value) <= 256:
            return value
        if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 1023:
            return value
        raise ValueError("a device name (1-256 characters) or index (0-1023)")

    def devices(self) -> dict[str, str | int | None]:
        """The fields the request gave (an explicit null included)."""
        return {name: getattr(self, name) for name in sorted(self.model_fields_set)}


class MediaUploadForm(BaseModel):
    """``POST /media`` as multipart/form-data: one video or image for the media folder."""

    file: bytes = Field(
        ...,
        description="The video (.mp4 .mov .mkv .avi .webm .m4v) or image (.jpg .jpeg .png "
        ".bmp .webp), with its file name; at most media.max_upload_mb.",
        json_schema_extra={"format": "binary"},
    )


class FaceLoadForm(BaseModel):
    """``POST /face/load`` as multipart/form-data: an uploaded picture; or several ``image``
    parts, a face set (each photo one face, or ``face_index`` repeated once per image)."""

    image: bytes = Field(
        ...,
        description="The picture (JPEG, PNG, WebP...); repeat the part for a face set of "
        "photos of one person (frontal and turned; at most face.max_set).",
        json_schema_extra={"format": "binary"},
    )
    face_index: int | None = Field(
        None, ge=0, le=99, description="Which face, leftmost first, when it has several."
    )


class FaceLoadIn(BaseModel):
    """``{"model_path": ...}``: an image in the sources or models folder."""

    model_config = ConfigDict(extra="forbid", strict=True)

    model_path: str = Field(..., min_length=1, max_length=1024)
    face_index: int | None = Field(None, ge=0, le=99)


EngineOptionValue = float | int | bool | Annotated[str, Field(max_length=256)]


class FaceOptionsIn(BaseModel):
    """The face options a request may change (POST /face/settings, a job's ``options``).
    Every number is bounded here, with the ranges of config's FaceOptions (a test keeps the
    two equal), so a bad value is a 400 naming the field before anything changes.
    ``engine_options`` {engine: {option: value}} are each engine's own (checked by the
    engine's options model: 400 naming ``engine_options.<engine>.<option>``); the flat
    ``shape_strength`` of older clients is ``engine_options.classic.shape_strength``."""

    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)

    many_faces: bool | None = None
    mouth_mask: bool | None = None
    blend: str | None = Field(None, max_length=32)
    detect_every: int | None = Field(None, ge=1, le=120)
    detect_size: int | None = Field(None, ge=160, le=4096)
    smoothing: float | None = Field(None, ge=0.0, le=0.95)
    likeness: float | None = Field(
        None,
        ge=0.0,
        le=1.0,
        description="Classic engine: how far the face outline and forehead take the source's "
        "(0 natural .. 1 most like the source).",
    )
    enhancer: Literal["off", "gfpgan_1.4", "gpen_bfr_256", "gpen_bfr_512"] | None = Field(
        None,
        description="Face enhancer on the swapped faces: off, gfpgan_1.4, gpen_bfr_256, "
        "gpen_bfr_512 (its model file must be in the models folder; GET /models).",
    )
    enhancer_strength: float | None = Field(
        None, ge=0.0, le=1.0, description="How much of the enhanced face is kept (0..1)."
    )
    occlusion: Literal["on", "off"] | None = Field(
        None,
        description="on: hands and objects in front of a face (a microphone, a cup) stay in "
        "front of the swap; off: the swap covers them.",
    )
    work_px: int | None = Field(
        None,
        ge=0,
        le=4096,
        description="Classic engine: the largest face (px across) rendered at its own size; a "
        "larger one is rendered at this size and scaled up, the frame's skin detail kept "
        "(0: every face at its own size).",
    )
    engine_options: dict[str, dict[str, EngineOptionValue]] | None = Field(
        None,
        max_length=16,
        description="Each engine's own options, by engine name: "
        '{"classic": {"shape_strength": 0.8}} (GET /face/status shows them all).',
    )
    shape_strength: float | None = Field(
        None,
        ge=0.0,
        le=1.0,
        description="The classic engine's engine_options.classic.shape_strength (kept for "
        "older clients).",
    )

    @field_validator("shape_strength")
    @classmethod
    def _not_twice(cls, value: float | None, info: ValidationInfo) -> float | None:
        classic = (info.data.get("engine_options") or {}).get("classic") or {}
        if value is not None and "shape_strength" in classic:
            raise ValueError("give shape_strength or engine_options.classic.shape_strength")
        return value

    def changes(self) -> dict[str, Any]:
        """The options to change; the flat ``shape_strength`` moved under the classic engine."""
        changes = self.model_dump(
            exclude_none=True, exclude={"engine", "engine_options", "shape_strength"}
        )
        engine_options = {name: dict(own) for name, own in (self.engine_options or {}).items()}
        if self.shape_strength is not None:
            engine_options.setdefault("classic", {})["shape_strength"] = self.shape_strength
        if engine_options:
            changes["engine_options"] = engine_options
        return changes


class BackgroundIn(BaseModel):
    """POST /background: any of its settings (the rest stay as they are)."""

    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)

    mode: Literal["off", "blur", "color", "image"] | None = Field(
        None, description="off, blur, color (a plain colour) or image (a media file)."
    )
    blur: float | None = Field(
        None, ge=0.0, le=1.0, description="How strongly blur mode blurs (0 light .. 1 strong)."
    )
    color: str | None = Field(
        None, pattern=r"^#[0-9a-fA-F]{6}$", description="The colour of color mode, #rrggbb."
    )
    image: str | None = Field(
        None,
        min_length=1,
        max_length=1024,
        description="The picture of image mode: a file in the media folders (GET /media).",
    )


class FaceSettingsIn(FaceOptionsIn):
    """POST /face/settings: any subset of the face options, the engine and the guard."""

    engine: str | None = Field(None, min_length=1, max_length=64)
    guard: Literal["off", "hold", "blur"] | None = Field(
        None,
        description="The privacy guard: a face in view that could not be swapped is held "
        "(the last good frame) or blurred, never sent as it is; off lets it through.",
    )


# ---- who is swapped (POST /face/reference, POST /face/map) and the face set -----------------


class FaceReferenceForm(BaseModel):
    """``POST /face/reference`` as multipart/form-data: a photo of the person to replace."""

    image: bytes = Field(
        ...,
        description="A photo of the person whose face is to be swapped (the others stay).",
        json_schema_extra={"format": "binary"},
    )
    face_index: int | None = Field(
        None, ge=0, le=99, description="Which face, leftmost first, when it has several."
    )


class FaceReferenceIn(BaseModel):
    """``{"frame_face_index": N}``: the reference is face N (leftmost first) of the camera's
    current frame (the camera must be running)."""

    model_config = ConfigDict(extra="forbid", strict=True)

    frame_face_index: int = Field(..., ge=0, le=99)


def _map_pair(i: int) -> dict[str, Any]:
    binary: dict[str, Any] = {"format": "binary"}
    return {
        f"reference_{i}": (
            bytes | None,
            Field(
                None,
                description=f"Pair {i}: a photo of a person in view (required for pair {i}).",
                json_schema_extra=binary,
            ),
        ),
        f"reference_{i}_face_index": (int | None, Field(None, ge=0, le=99)),
        f"source_{i}": (
            bytes | None,
            Field(
                None,
                description=f"Pair {i}: the face that person gets (required with reference_{i}).",
                json_schema_extra=binary,
            ),
        ),
        f"source_{i}_face_index": (int | None, Field(None, ge=0, le=99)),
    }


MAP_PAIRS = 8  # reference_0/source_0 .. reference_7/source_7 (face/people/reference.py MAX_MAP)

FaceMapForm = create_model(
    "FaceMapForm",
    __doc__="``POST /face/map`` as multipart/form-data: the whole face map, replacing the one "
    "before. Pair i is the files ``reference_i`` (a photo of a person in view) and ``source_i`` "
    "(the face that person gets), each with an optional ``reference_i_face_index`` / "
    "``source_i_face_index`` (leftmost first) when its photo has several faces; pairs are "
    "numbered from 0 without gaps, at most 8. Each tracked face gets the source of the nearest "
    "reference within face.reference_threshold; a face matching none stays as it is.",
    **{k: v for i in range(MAP_PAIRS) for k, v in _map_pair(i).items()},
)


# ---- file jobs (POST /jobs, ar_backend/jobs) -------------------------------------------------


class JobOptionsIn(FaceOptionsIn):
    """A job's face options: the names and bounds of POST /face/settings (its engine and
    guard aside); any left out are the live swap's at the time of the request."""

    blend: Literal["seamless", "feather"] | None = None


JobFileName = Annotated[str, Field(min_length=1, max_length=255)]


class JobIn(BaseModel):
    """``POST /jobs`` as JSON: swap a face into a video or picture of the media folders."""

    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)

    input: JobFileName = Field(
        ..., description="A video or picture in a media folder, by its file name (GET /media)."
    )
    face: JobFileName = Field(
        "loaded",
        description='"loaded": the face the live swap has loaded; else a picture in '
        "face.sources_dir or a media folder, by its file name.",
    )
    face_index: int | None = Field(
        None, ge=0, le=99, description="Which face of the picture (0 the leftmost)."
    )
    engine: str | None = Field(
        None, min_length=1, max_length=64, description="classic, inswapper; default: the live one."
    )
    options: JobOptionsIn | None = Field(None, description="Face options (POST /face/settings).")
    background: BackgroundIn | None = Field(
        None,
        description="The background behind the person in every frame (POST /background's "
        "fields); any left out are the live background's.",
    )
    output: str | None = Field(
        None,
        min_length=1,
        max_length=100,
        description="The output's plain file name (.mp4 for a video, the input's own "
        "extension for a picture); default <input stem>-swapped.<ext>.",
    )
    quality: int | None = Field(
        None, ge=0, le=51, description="H.264 CRF of a video: 0 best, 51 smallest (jobs.quality)."
    )


class JobForm(BaseModel):
    """``POST /jobs`` as multipart/form-data: the video or picture uploaded with the job
    (saved into the first media folder as POST /media saves it), optionally the face
    picture, and the JSON form's other fields as form values (``options`` as JSON text)."""

    input: bytes = Field(
        ...,
        description="The video (.mp4 .mov .mkv .avi .webm .m4v) or picture (.jpg .jpeg .png "
        ".webp) with its file name; or a text value naming a file in a media folder.",
        json_schema_extra={"format": "binary"},
    )
    face: bytes | None = Field(
        None,
        description='A face picture; or a text value: "loaded" (default) or a picture\'s name.',
        json_schema_extra={"format": "binary"},
    )
    face_index: int | None = Field(None, ge=0, le=99)
    engine: str | None = Field(None, max_length=64)
    options: str | None = Field(None, description="The face options as a JSON object.")
    background: str | None = Field(None, description="The background as a JSON object.")
    output: str | None = Field(None, max_length=100)
    quality: int | None = Field(None, ge=0, le=51)


class PreviewQuery(BaseModel):
    """``GET /video_feed`` and ``/snapshot.jpg``: the size the viewer shows the picture at."""

    model_config = ConfigDict(extra="ignore")

    width: int | None = Field(
        None,
        ge=16,
        le=7680,
        description="Encode the JPEG this many px wide (its shape kept; never wider than the "
        "frame): a window showing the preview at 640 px asks for 640. Unset: the frame's size.",
    )


class JobListQuery(BaseModel):
    model_config = ConfigDict(extra="ignore")

    limit: int = Field(200, ge=1, le=1000, description="At most this many jobs, newest first.")
    state: Literal["queued", "running", "done", "failed", "cancelled", "interrupted"] | None = (
        Field(None, description="Only jobs in this state.")
    )


class JobDeleteQuery(BaseModel):
    model_config = ConfigDict(extra="ignore")

    output: bool = Field(False, description="Also remove the job's output file.")
