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


class CameraStartOut(CameraStatus):
    started: bool
    already_running: bool


class CameraStopOut(CameraStatus):
    stopped: bool


class DeviceListOut(Wire):
    devices: list[dict[str, Any]]
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


class EffectTypesOut(Wire):
    effects: dict[str, dict[str, dict[str, Any]]] = Field(
        ..., description="Per effect type, its parameters (default, minimum, maximum)."
    )


class FaceOptionsView(Wire):
    many_faces: bool
    mouth_mask: bool
    blend: str


class FaceStatus(Wire):
    enabled: bool
    active: bool
    engine: str
    engine_info: dict[str, Any] | None
    options: FaceOptionsView
    faces_in_frame: int
    frames_swapped: int
    frames_without_face: int
    error: str | None
    engines: dict[str, str]


class FaceStatusOut(FaceStatus):
    source: dict[str, Any]


class FaceBox(Wire):
    x: int
    y: int
    width: int
    height: int


class FaceLoadOut(Wire):
    loaded: bool
    name: str
    engine: str
    face: FaceBox
    face_index: int
    faces_found: int
    image_size: Size
    thumbnail: str = Field(..., description="A small JPEG of the face, as a data: URL.")


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
