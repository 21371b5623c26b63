"""What ar_backend answers (its OpenAPI document is built from these; the window reads them)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class Wire(BaseModel):
    model_config = ConfigDict(extra="allow")


class HealthOut(Wire):
    status: str
    service: str
    version: str
    timestamp: str
    uptime: float


class Size(Wire):
    width: int
    height: int


class Percentiles(Wire):
    p50: float | None
    p95: float | None


class CameraStatus(Wire):
    state: str = Field(..., description="stopped, starting, connecting, running, reconnecting")
    error: str | None
    source: str | None
    source_kind: str | None
    resolution: Size | None
    fps_in: float
    fps_out: float
    frames_in: int
    frames_out: int
    dropped_frames: int
    reconnects: int
    latency_ms: Percentiles
    stage_ms: dict[str, float]
    processors: list[str]
    processor_errors: dict[str, str] = Field(
        default_factory=dict,
        description="Processors failing now, with their error (frames pass them unchanged).",
    )


class CameraStartOut(CameraStatus):
    started: bool
    already_running: bool


class CameraStopOut(CameraStatus):
    stopped: bool


class DeviceListOut(Wire):
    """GET /audio/devices: each device PortAudio sees (index, name, inputs, outputs, ...)."""

    devices: list[dict[str, Any]]
    count: int


class CameraDeviceListOut(Wire):
    """GET /camera/devices: the indices of the camera devices that open."""

    devices: list[int]
    count: int


class RecordingStatus(Wire):
    active: bool
    file: str | None = None
    frames: int | None = None
    error: str | None = None


class VirtualCameraStatus(Wire):
    active: bool
    error: str | None = None


class AudioEffect(Wire):
    type: str
    params: dict[str, float]
    bypass: bool
    latency_ms: float


class AudioStatus(Wire):
    state: str = Field(..., description="stopped, running, reconnecting or unavailable")
    error: str | None
    sample_rate: int
    block_size: int
    channels: int
    effects: list[AudioEffect]
    level_dbfs: float | None


class EffectChainOut(Wire):
    effects: list[AudioEffect]
    latency_ms: float


class EffectParam(Wire):
    """One parameter of an effect type: its default and range (JSON Schema's words); a bound
    is either inclusive (``minimum``) or exclusive (``exclusiveMinimum``), so each may be
    absent."""

    default: float
    description: str | None = None
    minimum: float | None = None
    maximum: float | None = None
    exclusive_minimum: float | None = Field(None, alias="exclusiveMinimum")
    exclusive_maximum: float | None = Field(None, alias="exclusiveMaximum")


class EffectTypesOut(Wire):
    effects: dict[str, dict[str, EffectParam]] = Field(
        ..., description="Per effect type, its parameters (default, minimum, maximum)."
    )


class FaceOptionsView(Wire):
    many_faces: bool
    mouth_mask: bool
    blend: str
    likeness: float | None = Field(
        None, description="Classic engine: the source's outline and forehead too (0..1)."
    )
    engine_options: dict[str, dict[str, Any]] = Field(
        default_factory=dict,
        description="Each engine's own options, by engine name (classic: shape_strength).",
    )


class FaceBox(Wire):
    x: int
    y: int
    width: int
    height: int


class FacePhoto(Wire):
    """A photo and the face chosen in it (a reference, a face map's source)."""

    name: str
    face: FaceBox
    face_index: int | None = None
    thumbnail: str | None = Field(None, description="A small JPEG of the face (data: URL).")


class FaceReference(Wire):
    """The reference person: only faces matching it are swapped; ``set: false`` when none."""

    set: bool
    engine: str | None = Field(None, description="The engine whose descriptor it holds.")
    name: str | None = None
    face: FaceBox | None = None
    face_index: int | None = None
    thumbnail: str | None = Field(None, description="A small JPEG of the face (data: URL).")


class FaceMapEntry(Wire):
    index: int
    source: str = Field(..., description="How tracked faces name it: map:<index>.")
    reference: FacePhoto
    source_face: FacePhoto


class TrackedFace(Wire):
    """A face the tracker follows, and what it got."""

    track_id: int
    box: FaceBox
    matched: bool | None = Field(
        ..., description="It matched the reference or a map entry; null: none is set."
    )
    distance: float | None = Field(..., description="Descriptor distance to the nearest one.")
    source: str | None = Field(
        ..., description="The source it got: loaded, map:<i>, or null (left as it is)."
    )
    set_photo: int | None = Field(
        None, description="A face set: the index of the photo it was drawn from (source.set)."
    )


class FacePeopleOut(Wire):
    """POST/DELETE /face/reference and /face/map: who is swapped."""

    reference: FaceReference
    map: list[FaceMapEntry]
    faces: list[TrackedFace]


class FaceSetPhoto(Wire):
    """One photo of a face set, with its head pose from the landmarks (degrees; null for an
    engine without the 68 landmarks)."""

    name: str
    face: FaceBox
    face_index: int
    yaw: float | None
    pitch: float | None


class FaceSource(Wire):
    """The loaded source face; with none loaded only ``loaded: false`` is sent."""

    loaded: bool
    name: str | None = None
    engine: str | None = None
    face: FaceBox | None = None
    face_index: int | None = None
    faces_found: int | None = None
    image_size: Size | None = None
    thumbnail: str | None = Field(
        None, description="A small JPEG of the face (data: URL); only in GET /face/status."
    )
    notes: list[str] = Field(default_factory=list)
    loaded_at: float | None = None
    set: list[FaceSetPhoto] | None = Field(
        None, description="A face set (several image parts): each photo with its head pose."
    )


class EngineInfo(Wire):
    """The running engine: the provider it actually got (e.g. ``dlib (CPU)``,
    ``CUDAExecutionProvider``) and its model files; an engine may add more (inswapper: each
    session's providers, the requested ones that are unavailable)."""

    provider: str | None
    models: list[str] | dict[str, str]


class FaceStatus(Wire):
    enabled: bool
    active: bool
    engine: str
    engine_info: EngineInfo | None = Field(..., description="None until the engine has loaded.")
    options: FaceOptionsView
    source: FaceSource
    faces_in_frame: int
    frames_swapped: int
    frames_without_face: int
    guard: str = Field("off", description="The privacy guard: off, hold or blur.")
    frames_guarded: int = Field(0, description="Frames the guard held or blurred.")
    false_swaps_prevented: int = Field(
        0, description="Tracked faces dropped by the per-frame check (no longer a face)."
    )
    restoring: bool = Field(False, description="The saved face state is being restored.")
    error: str | None
    engines: dict[str, str]
    reference: FaceReference | None = None
    map: list[FaceMapEntry] = Field(default_factory=list)
    faces: list[TrackedFace] = Field(
        default_factory=list, description="Per tracked face: matched, distance, its source."
    )


class FaceStatusOut(FaceStatus):
    """GET /face/status: as every face answer, and the source carries its thumbnail."""


class FaceLoadOut(Wire):
    loaded: bool
    name: str
    engine: str
    face: FaceBox
    face_index: int
    faces_found: int
    image_size: Size
    thumbnail: str = Field(..., description="A small JPEG of the face, as a data: URL.")
    notes: list[str] = Field(..., description="What was done to the picture (e.g. upscaled).")
    loaded_at: float
    set: list[FaceSetPhoto] | None = Field(None, description="A face set: each photo, its pose.")


class EngineView(Wire):
    name: str
    description: str
    available: bool
    reason: str | None
    active: bool


class EnginesOut(Wire):
    engines: list[EngineView]
    active: str


class OutputsStatus(Wire):
    mjpeg: dict[str, Any]
    virtual_camera: VirtualCameraStatus
    recording: RecordingStatus


class StatusOut(Wire):
    service: str
    timestamp: str
    version: str
    status: str
    camera: CameraStatus
    pipeline: dict[str, Any]
    outputs: OutputsStatus
    audio: AudioStatus
    face_modules: dict[str, Any]
    gui: dict[str, Any] | None


class MetricsOut(Wire):
    service: str
    system: dict[str, Any]
    camera: CameraStatus
    timestamp: str


class ReportOut(Wire):
    status: str
    received_at: str
