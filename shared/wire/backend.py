"""What ar_backend answers (its OpenAPI document is built from these; the window reads them)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field

from shared.wire.base import MessageArgs, MessageKey, SystemFigures, Wire


class CameraAccess(Wire):
    """A camera device that is there but this user may not open, with the fix."""

    index: int
    device: str
    problem: str = Field(..., description="permission")
    message: str
    message_key: str
    message_args: dict[str, Any]
    fix_command: str = Field(..., description="sudo usermod -aG video $USER (then log in again)")
    group: str


class HealthOut(Wire):
    status: str
    service: str
    version: str
    timestamp: str
    uptime: float
    camera_access: CameraAccess | None = Field(
        None,
        description="The camera device wanted is there but this user may not open it "
        "(not in its group): the message and the command that fixes it; null otherwise.",
    )


class Size(Wire):
    width: int
    height: int


class Percentiles(Wire):
    p50: float | None
    p95: float | None


class StageFigures(Wire):
    """One stage of the live path (ar_backend/stages.py), over its last frames."""

    ms: float = Field(..., description="Mean wall-clock ms.")
    p95_ms: float = Field(..., description="95th percentile of the wall-clock ms.")
    cpu_ms: float | None = Field(
        ..., description="Mean CPU ms of the thread that ran it (null: not measured)."
    )
    frames: int = Field(..., description="Frames in the window.")


Stages = Annotated[
    dict[str, StageFigures],
    Field(description="Each stage by name: its wall and CPU milliseconds."),
]


class GovernorStep(Wire):
    knob: str
    level: int
    says: str = Field(..., description="The knob's level in words: 'enhancer paused'.")
    says_key: MessageKey = None
    says_args: MessageArgs = None


class GovernorEvent(GovernorStep):
    at: float = Field(..., description="When (epoch seconds).")
    direction: str = Field(..., description="down or up")
    why: str


class GovernorKnob(Wire):
    name: str
    level: int = Field(..., description="0: full quality.")
    levels: list[str]
    importance: float = Field(..., description="How much a person notices it turned down.")
    cost_ms: float = Field(..., description="What it spends per frame now (ms).")


class GovernorStatus(Wire):
    """The quality governor (face.governor): what it has turned down to hold the rate."""

    enabled: bool
    summary: str = Field(
        ..., description="One line: 'holding 30 fps: enhancer paused', 'full quality', 'off'."
    )
    target_fps: float
    fps_out: float | None
    busy_ms: float | None = Field(..., description="A frame's processing (mean, ms).")
    budget_ms: float | None = Field(..., description="A frame's time at the source's rate.")
    note: str = Field(..., description="Why the last decision, or why none can be made.")
    steps: list[GovernorStep] = Field(..., description="The knobs turned down now.")
    knobs: list[GovernorKnob]
    history: list[GovernorEvent] = Field(..., description="The last steps, oldest first.")


class CameraStatus(Wire):
    state: str = Field(..., description="stopped, starting, connecting, running, reconnecting")
    error: str | None
    error_key: MessageKey = None
    error_args: MessageArgs = None
    source: str | None = Field(..., description="The source's label (a file's name, device 0).")
    source_kind: str | None = Field(..., description="device, file, image, url, demo...")
    source_fps: float | None = Field(None, description="The rate the source gives.")
    resolution: Size | None = Field(..., description="The last output frame's size.")
    fps_in: float
    fps_out: float
    frames_in: int
    frames_out: int
    dropped_frames: int = Field(..., description="Frames dropped as stale (never queued).")
    source_skipped: int = Field(
        0, description="Frames a file played in real time skipped (not decoded in time)."
    )
    reconnects: int
    connect_attempts: int = Field(0, description="Tries to open a source that is not there.")
    connecting_s: float | None = Field(None, description="How long it has been connecting.")
    latency_ms: Percentiles = Field(..., description="Capture to output.")
    stage_ms: dict[str, float] = Field(..., description="Mean ms per pipeline stage.")
    stages: Stages = Field(default_factory=dict)
    processors: list[str]
    governor: GovernorStatus | None = Field(
        None, description="The quality governor: what it has turned down to hold the rate."
    )
    processor_errors: dict[str, str] = Field(
        default_factory=dict,
        description="Processors failing now, with their error (frames pass them unchanged).",
    )
    started_at: float | None = Field(None, description="When it started (epoch seconds).")
    spec: str | None = Field(None, description="The source as asked for (kind:target).")
    auto: str | None = Field(None, description="What source: auto chose, and why.")


class CameraStartOut(CameraStatus):
    started: bool
    already_running: bool


class CameraStopOut(CameraStatus):
    stopped: bool


class AudioDevice(Wire):
    """One device PortAudio sees. ``POST /audio/start`` takes its ``name`` or ``index``."""

    index: int = Field(..., description="PortAudio's index (may change when devices come and go).")
    name: str
    inputs: int = Field(..., description="Input channels (0: not a microphone).")
    outputs: int = Field(..., description="Output channels (0: not an output).")
    kind: str = Field("duplex", description="input, output or duplex (both).")
    default_rate: float | None = Field(None, description="Its default sample rate.")
    default_input: bool = Field(False, description="PortAudio's default input device.")
    default_output: bool = Field(False, description="PortAudio's default output device.")


class DeviceListOut(Wire):
    """GET /audio/devices: each device PortAudio sees."""

    devices: list[AudioDevice]
    count: int
    source_sound: str | None = Field(
        None,
        description="The camera source playing with sound now (its label): POST /audio/start "
        '{"input_device": "source"} takes its sound as the voice; null when none plays.',
    )


class CameraDevice(Wire):
    """A camera device that opens, by name."""

    index: int = Field(..., description="The device index (POST /camera/start device_id).")
    name: str = Field(
        ..., description="Linux: the driver's name (sysfs); elsewhere 'Camera <index>'."
    )
    path: str | None = Field(None, description="Linux: /dev/video<index>; elsewhere null.")
    virtual: bool = Field(
        False,
        description="A virtual camera (v4l2loopback; ours among them): not a camera to offer "
        "as an input.",
    )


class CameraDeviceListOut(Wire):
    """GET /camera/devices: the camera devices that open, by index and by name."""

    devices: list[int] = Field(..., description="Their indices (as older clients read them).")
    count: int
    named: list[CameraDevice] = Field(
        default_factory=list, description="The same devices in the same order, with names."
    )


class MediaFile(Wire):
    """A file in the media folders a camera can play."""

    name: str
    kind: str = Field(..., description="video or image.")
    size: int = Field(..., description="Bytes.")
    modified: float | None = Field(None, description="Last change (epoch seconds).")
    source: str = Field(..., description="What POST /camera/start takes as source to play it.")


class MediaListOut(Wire):
    """GET /media: the playable files at the top of the media folders, by name."""

    files: list[MediaFile]
    count: int
    truncated: bool = Field(False, description="More files than listed (2000 at most).")
    folder: str | None = Field(None, description="Where uploads go (absolute).")


class MediaUploadOut(Wire):
    """POST /media: the file as saved."""

    name: str = Field(..., description="The plain name it was saved under (-1, -2... if taken).")
    source: str = Field(..., description="What POST /camera/start takes as source to play it.")
    size: int = Field(..., description="Bytes written.")
    kind: str | None = Field(None, description="video or image.")
    path: str | None = Field(None, description="Where it was saved (absolute).")


class RecordingStatus(Wire):
    """The recorder: while active the file, its folder and times; after a stop, the last file
    (``last_file``, ``last_path``) so the window can show it."""

    active: bool
    file: str | None = Field(None, description="The file being (or just) written: its name.")
    path: str | None = Field(None, description="Its absolute path.")
    folder: str | None = Field(None, description="The recordings folder (absolute).")
    started_at: float | None = Field(None, description="When it began (epoch seconds).")
    seconds: float | None = Field(None, description="How long it has been recording.")
    frames: int | None = None
    writing: str | None = Field(
        None, description="The file on disk while it is written (NAME.partial.mp4)."
    )
    frames_skipped: int | None = Field(
        None,
        description="Frames the encoder had no room for (it runs below the live path: a "
        "busy machine skips recorded frames, never live ones).",
    )
    preset: str | None = Field(None, description="The x264 preset it encodes with.")
    audio: bool | None = Field(None, description="The changed voice is recorded (AAC).")
    audio_seconds: float | None = Field(None, description="Seconds of voice written.")
    audio_resyncs: int | None = Field(
        None, description="Times the voice was padded or cut to stay with the video."
    )
    stages: Stages | None = Field(None, description="Its conversion and encoder stages.")
    error: str | None = None
    error_key: MessageKey = None
    error_args: MessageArgs = None
    already_recording: bool | None = Field(
        None, description="POST /record/start while recording: the recording under way."
    )
    last_file: str | None = Field(None, description="The last finished recording: its name.")
    last_path: str | None = Field(None, description="The last finished recording: its path.")


class VirtualCameraStatus(Wire):
    """The virtual camera: its device while active; when it could not start, the error and
    the command that makes one."""

    active: bool
    device: str | None = Field(None, description="The device it sends to (/dev/video10).")
    frames: int | None = None
    error: str | None = Field(
        None,
        description="Why it is not running (no device: names scripts/setup_virtual_camera.sh).",
    )
    error_key: MessageKey = None
    error_args: MessageArgs = None
    error_detail: str | None = Field(None, description="The library's own words about it.")
    stages: Stages | None = Field(None, description="Its write stage.")
    setup_command: str | None = Field(
        None,
        description="The command line that fixes the error, to copy into a terminal "
        "(Linux: sudo bash .../scripts/setup_virtual_camera.sh); null when there is none.",
    )


class AudioEffect(Wire):
    type: str
    params: dict[str, float | bool]
    bypass: bool
    latency_ms: float


class SoundFix(Wire):
    """What is missing for the voice on this system, and the command that fixes it."""

    missing: str = Field(
        ...,
        description="portaudio (the library), sound_server (installed, not running), "
        "sound_system (no PipeWire or PulseAudio installed), alsa_plugin (a server runs, "
        "PortAudio cannot reach it)",
    )
    server: str | None = Field(None, description="pipewire or pulseaudio: the command's")
    command: str = Field(..., description='One line to run in a terminal ("": none known)')


class ToneOut(Wire):
    playing: bool
    device: str = Field(..., description="The output device it plays on.")
    seconds: float
    hz: float


class AudioStatus(Wire):
    state: str = Field(..., description="stopped, running, reconnecting or unavailable")
    error: str | None
    error_key: MessageKey = None
    error_args: MessageArgs = None
    fix: SoundFix | None = Field(
        None, description="While unavailable: what is missing here and the command to fix it."
    )
    sample_rate: int
    block_size: int
    channels: int
    input_device: str | int | None = Field(
        None, description="The microphone chosen (name or index); null: the default."
    )
    output_device: str | int | None = Field(
        None, description="The output chosen (name or index); null: the default."
    )
    effects: list[AudioEffect]
    effects_latency_ms: float | None = Field(None, description="The chain's own delay.")
    stream_latency_ms: float | list[float] | None = Field(
        None, description="PortAudio's stream latency (input, output), or the playback's."
    )
    level_dbfs: float | None
    output_error: str | None = Field(
        None, description="The voice runs without an output device: why (it is recorded)."
    )
    output_error_key: MessageKey = None
    output_error_args: MessageArgs = None
    source_sound: str | None = Field(
        None, description='input_device "source": the source whose sound is the voice.'
    )
    av_sync: str | float | None = Field(
        None, description="audio.av_sync: auto, off, or a fixed delay (ms)."
    )
    av_offset_ms: float | None = Field(
        None, description="The delay the live voice gets so lips match (ms)."
    )
    video_latency_ms: float | None = Field(None, description="The video path's latency now.")
    voice_latency_ms: float | None = Field(None, description="The voice path's latency now.")
    blocks: int | None = Field(None, description="Blocks processed.")
    input_overflows: int | None = None
    output_underflows: int | None = None
    callback_ms: float | None = Field(None, description="The audio callback's mean cost.")
    restarts: int | None = Field(None, description="Times the stream was reopened.")


class EffectChainOut(Wire):
    effects: list[AudioEffect]
    latency_ms: float


class EffectParam(Wire):
    """One parameter of an effect type: its default and range (JSON Schema's words); a bound
    is either inclusive (``minimum``) or exclusive (``exclusiveMinimum``), so each may be
    absent."""

    default: float | bool = Field(..., description="A number, or true/false for a switch.")
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
    detect_every: int | None = Field(
        None, description="dlib's path: the detector every N frames, tracked in between."
    )
    detect_size: int | None = Field(None, description="Longest side (px) the detector sees.")
    smoothing: float | None = Field(None, description="Landmark smoothing over time (0 off).")
    likeness: float | None = Field(
        None, description="Classic engine: the source's outline and forehead too (0..1)."
    )
    enhancer: str = Field("off", description="The face enhancer: off or its model name.")
    enhancer_strength: float = Field(0.8, description="How much of the enhanced face is kept.")
    occlusion: str = Field("on", description="Hands and objects in front of a face: on or off.")
    work_px: int | None = Field(
        None, description="Classic engine: faces larger than this (px) rendered at this size."
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
    notes_key: list[str] = Field(
        default_factory=list, description="Each note's key in shared/messages.py."
    )
    notes_args: list[dict[str, Any]] = Field(
        default_factory=list, description="Each note's named parameters."
    )
    loaded_at: float | None = None
    set: list[FaceSetPhoto] | None = Field(
        None, description="A face set (several image parts): each photo with its head pose."
    )


class SwapperIO(Wire):
    """HyperSwap: how its swapper model was read."""

    size: int = Field(..., description="The face size (px) the model swaps at.")
    inputs: list[str] = Field(..., description="Its source and target inputs' names.")
    mask_output: bool = Field(..., description="It outputs a face mask too.")


class EngineInfo(Wire):
    """The running engine: the provider it actually got (e.g. ``dlib (CPU)``,
    ``CUDAExecutionProvider``) and its model files; an engine may add more (inswapper: each
    session's providers, the requested ones that are unavailable)."""

    provider: str | None
    models: list[str] | dict[str, str]
    requested: list[str] = Field(
        default_factory=list, description="The providers asked for (face.<engine>.providers)."
    )
    providers: dict[str, list[str]] | None = Field(
        None, description="ONNX engines: each model session's providers, by its role."
    )
    unavailable_requested: list[str] = Field(
        default_factory=list,
        description="ONNX engines: the providers asked for that this machine does not have.",
    )
    provider_options: dict[str, dict[str, str]] = Field(
        default_factory=dict,
        description="Per GPU provider, the options the session really runs with (device_id, "
        "gpu_mem_limit, cudnn_conv_algo_search, trt_engine_cache_path, trt_fp16_enable).",
    )
    gpu_warning: str | None = Field(
        None, description="Set when a GPU provider was asked for and the CPU runs."
    )
    gpu_warning_key: str | None = Field(
        None, description="The warning's key in shared/messages.py (for a client's language)."
    )
    gpu_warning_args: dict[str, Any] | None = Field(None, description="Its named parameters.")
    gpu_settings: dict[str, Any] | None = Field(
        None, description="The GPU settings asked for (face.gpu), beside what was got."
    )
    swapper_io: SwapperIO | None = Field(
        None, description="hyperswap: its swapper model's face size, inputs and mask output."
    )
    mesh: str | None = Field(
        None,
        description="classic: why it runs on dlib's 68 points and not MediaPipe's face mesh (its "
        "file missing or corrupt, with the command that fetches it); null when on the mesh.",
    )


class EnhancerStatus(Wire):
    """The face enhancer: the model chosen, whether it runs, on what, and what it costs."""

    model: str = Field(..., description="off, or the enhancer model chosen.")
    strength: float
    available: bool = Field(..., description="Its model file is present and verified.")
    reason: str | None = Field(None, description="Why it cannot run (missing, corrupt file).")
    reason_key: str | None = Field(
        None, description="The reason's key in shared/messages.py (for a client's language)."
    )
    reason_args: dict[str, Any] | None = Field(None, description="Its named parameters.")
    provider: str | None = Field(None, description="The provider its session really got.")
    requested: list[str] = Field(default_factory=list)
    provider_options: dict[str, dict[str, str]] = Field(default_factory=dict)
    gpu_warning: str | None = None
    gpu_warning_key: str | None = Field(
        None, description="The warning's key in shared/messages.py (for a client's language)."
    )
    gpu_warning_args: dict[str, Any] | None = Field(None, description="Its named parameters.")
    ms_per_frame: float | None = Field(
        None, description="Its mean cost per frame with faces (ms), live."
    )
    live_budget_ms: float = Field(..., description="The cost per frame it may take live.")
    keeps_live_rate: bool | None = Field(
        None, description="False when it costs more than the budget here (null: not measured)."
    )
    advice: str | None = Field(
        None, description="What to do about it, e.g. use it for file jobs instead."
    )
    advice_key: str | None = Field(
        None, description="The advice's key in shared/messages.py (for a client's language)."
    )
    advice_args: dict[str, Any] | None = Field(None, description="Its named parameters.")
    loaded: bool = Field(
        False, description="Its model session is open (it loads when chosen, or in the background)."
    )
    error: str | None = Field(
        None,
        description="It failed while running: frames go out swapped, not enhanced, until it "
        "runs again.",
    )
    error_key: str | None = Field(
        None, description="The error's key in shared/messages.py (for a client's language)."
    )
    error_args: dict[str, Any] | None = Field(None, description="Its named parameters.")


class FaceDetection(Wire):
    tracker: str | None = Field(
        None,
        description="What finds and follows the faces: blazeface_full+face_mesh (MediaPipe's "
        "detector and mesh on every frame) or dlib (its HOG detector every few frames); null "
        "until the camera first runs.",
    )
    reason: str | None = Field(
        None,
        description="Why MediaPipe's models are not used (a file missing or corrupt, with the "
        "command that fetches it; or face.detection.backend: dlib); null when they are.",
    )


class OcclusionStatus(Wire):
    """What is in front of the faces: on or off, whether it can run here and its cost."""

    on: bool
    available: bool = Field(..., description="Its model files are here and verified.")
    reason: str | None = Field(None, description="Why it cannot run (the fetch command).")
    ms: float | None = Field(None, description="Its cost per frame with a face (mean), ms.")
    hands: int = Field(0, description="Hands in view on the last frame.")
    frames_occluded: int = Field(0, description="Frames where something was put back.")
    error: str | None = None


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
    stage_ms: dict[str, float] = Field(
        default_factory=dict, description="Mean ms of each face stage (face.detect, face.swap...)."
    )
    error: str | None
    error_key: str | None = Field(
        None, description="The error's key in shared/messages.py (for a client's language)."
    )
    error_args: dict[str, Any] | None = Field(None, description="Its named parameters.")
    detection: FaceDetection | None = Field(None, description="How faces are found.")
    engines: dict[str, str]
    enhancer: EnhancerStatus | None = Field(None, description="The face enhancer.")
    occlusion: OcclusionStatus | None = Field(None, description="Hands and objects in front.")
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
    notes_key: list[str] = Field(
        default_factory=list, description="Each note's key in shared/messages.py."
    )
    notes_args: list[dict[str, Any]] = Field(
        default_factory=list, description="Each note's named parameters."
    )
    loaded_at: float
    set: list[FaceSetPhoto] | None = Field(None, description="A face set: each photo, its pose.")


class EngineView(Wire):
    name: str
    description: str
    available: bool
    reason: str | None
    active: bool
    reason_key: str | None = Field(
        None, description="The reason's key in shared/messages.py (for a client's language)."
    )
    reason_args: dict[str, Any] | None = Field(None, description="Its named parameters.")
    loaded: bool = Field(False, description="Its model is loaded in this process.")


class EnginesOut(Wire):
    engines: list[EngineView]
    active: str


class MjpegStatus(Wire):
    """The preview stream (/video_feed)."""

    frames_encoded: int = Field(..., description="Output frames encoded (each at most once).")
    encode_ms: float = Field(..., description="The last encode's cost.")
    stages: Stages | None = Field(None, description="Its JPEG encode stage.")
    viewers: int
    max_viewers: int = Field(..., description="outputs.max_viewers: more are refused (503).")
    viewers_refused: int
    viewers_dropped_stalled: int = Field(..., description="Viewers cut off for not reading.")
    viewer_stall_timeout: float = Field(..., description="Seconds a viewer may not read.")


class OutputsStatus(Wire):
    """GET /outputs, and /status ``outputs``."""

    mjpeg: MjpegStatus
    virtual_camera: VirtualCameraStatus
    recording: RecordingStatus


class JobsCurrent(Wire):
    """The job running now (the first, with several workers)."""

    id: str
    share: float | None = Field(None, description="Share of its frames done (0-1).")
    frames_done: int = 0
    frames_total: int | None = None


class JobsSummary(Wire):
    """/status and the heartbeat's ``jobs``: a backend rendering a file is busy, not stuck."""

    running: int
    queued: int
    failed: int
    done: int = 0
    workers: int = Field(0, description="Worker processes with a job now.")
    current: JobsCurrent | None = None
    error: str | None = Field(None, description="Why file jobs are unavailable, if they are.")


class JobFace(Wire):
    kind: str = Field(..., description="loaded (the live swap's face) or file.")
    name: str = Field(..., description="The picture's name.")
    face_index: int | None = Field(None, description="Which face of it (0 the leftmost).")


class JobProgress(Wire):
    frames_done: int
    frames_total: int | None = Field(None, description="From the file; null when unknown.")
    fps: float | None = Field(None, description="Frames per second of the job.")
    eta_s: float | None = Field(None, description="Seconds left, when the total is known.")
    frames_swapped: int = Field(0, description="Frames in which a face was swapped.")
    frames_guarded: int = Field(
        0,
        description="Frames with a face that could not be swapped (mostly out of the picture, "
        "covered, turned away): blurred there, never left as it was.",
    )
    frames_faceless: int = Field(0, description="Frames in which no face was found.")
    swapped_share: float | None = Field(None, description="frames_swapped / frames_done.")
    share: float | None = Field(None, description="frames_done / frames_total (0-1).")


class JobOut(Wire):
    """One file job (GET /jobs/<id>)."""

    id: str
    state: str = Field(..., description="queued, running, done, failed, cancelled, interrupted")
    input: str = Field(..., description="The input's file name (in a media folder).")
    kind: str = Field(..., description="video or image.")
    face: JobFace
    engine: str
    options: dict[str, Any] = Field(..., description="The face options the job runs with.")
    background: dict[str, Any] = Field(
        default_factory=dict,
        description="The background it paints: mode, blur, color, image (as GET /background).",
    )
    quality: int = Field(..., description="H.264 CRF (0 best .. 51 smallest).")
    output: str = Field(..., description="The output's file name (in jobs.outputs_dir).")
    output_path: str | None = Field(None, description="Absolute; only once done.")
    created_at: str
    queued_at: str | None = None
    started_at: str | None = None
    finished_at: str | None = None
    error: str | None = Field(None, description="Why it failed or was interrupted.")
    error_key: MessageKey = None
    error_args: MessageArgs = None
    progress: JobProgress
    notice: str | None = Field(
        None,
        description="Said when any frame had a face that could not be swapped and was blurred "
        "(frames_guarded > 0); null otherwise.",
    )
    audio: str | None = Field(None, description="Once done: copied, re-encoded to AAC, or none.")
    attempts: int = Field(0, description="Times it was started.")


class JobCounts(Wire):
    queued: int
    running: int
    done: int
    failed: int
    cancelled: int
    interrupted: int


class JobListOut(Wire):
    jobs: list[JobOut] = Field(..., description="Newest first.")
    counts: JobCounts


class JobDeleteOut(Wire):
    id: str
    deleted: bool
    output_removed: bool


class BackgroundStatus(Wire):
    """GET/POST /background: the setting in force, whether it can run here and its cost."""

    mode: str = Field(..., description="off, blur, color or image.")
    blur: float = Field(..., description="Blur mode's strength, 0..1.")
    color: str = Field(..., description="Color mode's colour, #rrggbb.")
    image: str | None = Field(None, description="Image mode's picture (a media file).")
    available: bool = Field(..., description="Person segmentation can run here.")
    reason: str | None = Field(None, description="Why it cannot (its model file missing).")
    ms: float | None = Field(None, description="Its cost per frame here (moving mean), ms.")
    frames: int = Field(0, description="Frames it changed since the start.")
    error: str | None = Field(
        None, description="A fault on the last frame, or a kept setting not restored."
    )


class PipelineSummary(Wire):
    processors: list[str]
    processor_errors: dict[str, str]
    fps_out: float
    latency_ms: Percentiles
    dropped_frames: int


class FaceModules(Wire):
    """The face swap in a line (/status, the heartbeat's ``face``)."""

    state: str = Field(..., description="swapping, ready (a face loaded) or idle.")
    enabled: bool
    engine: str
    provider: str | None = Field(..., description="What the engine runs on.")
    face_loaded: bool
    faces_in_frame: int
    error: str | None
    error_key: MessageKey = None
    error_args: MessageArgs = None
    engines: dict[str, str] = Field(..., description="Each engine's state.")


class StudioStatus(Wire):
    """What the studio says of itself (/status, and the heartbeat built from it)."""

    version: str
    status: str = Field(..., description="running, or error when the camera failed.")
    start_time: float = Field(..., description="When the backend started (epoch seconds).")
    camera: CameraStatus
    pipeline: PipelineSummary
    outputs: OutputsStatus
    governor: GovernorStatus | None = None
    audio: AudioStatus
    camera_access: CameraAccess | None = None
    face_modules: FaceModules
    gui: dict[str, Any] | None = Field(
        ..., description="The window's last report (POST /monitor/report) as it sent it."
    )
    jobs: JobsSummary | None = Field(None, description="File jobs: running, queued, failed.")
    background: BackgroundStatus | None = Field(None, description="The background.")


class StatusOut(StudioStatus):
    service: str
    timestamp: str


class MetricsOut(Wire):
    service: str
    system: SystemFigures
    camera: CameraStatus
    timestamp: str


class ReportOut(Wire):
    status: str
    received_at: str


class ModelFileView(Wire):
    path: str = Field(..., description="Where the file goes, relative to the models folder.")
    state: str = Field(
        ..., description="present, missing, corrupt, unverified (no hash published), downloading"
    )
    size: int = Field(..., description="Its size in bytes, from the manifest.")
    sha256: str | None = Field(..., description="Its SHA-256 from the manifest (null: none).")
    bytes_done: int | None = Field(None, description="While downloading: bytes so far.")
    bytes_total: int | None = Field(None, description="The bytes to download.")


class ModelFetchState(Wire):
    state: str = Field(..., description="downloading, done, failed, cancelled")
    error: str | None = Field(None, description="Why it failed (names the model and file).")


class ModelOut(Wire):
    name: str
    description: str
    licence: str
    used_by: list[str]
    used: bool = Field(..., description="False for a model listed but not used yet.")
    files: list[ModelFileView]
    fetch: ModelFetchState | None = Field(None, description="The last fetch started here.")


class ModelsOut(Wire):
    manifest: str = Field(..., description="The manifest file read (face.models_manifest).")
    models_dir: str
    models: list[ModelOut]


class PersonaFace(Wire):
    photos: int = Field(..., description="Photos saved (more than one: a face set).")
    names: list[str]


class PersonaOut(Wire):
    """A persona: a face (or face set), a voice chain and a label under a name."""

    name: str
    label: str
    voice: list[dict[str, Any]] = Field(..., description="The voice chain (as POST /audio/chain).")
    face: PersonaFace | None = Field(None, description="null: applying it keeps the face.")
    slot: int | None = Field(None, description="Its hotkey, F1-F4 (1-4).")
    created_at: float


class PersonaListOut(Wire):
    personas: list[PersonaOut]
    count: int
    active: str | None = Field(None, description="The persona applied last.")
    error: str | None = Field(None, description="The saved list could not be read: why.")
    error_key: MessageKey = None
    error_args: MessageArgs = None


class PersonaDeleteOut(PersonaListOut):
    """DELETE /personas/NAME: the persona deleted, and the list as it is now."""

    deleted: str = Field(..., description="The persona deleted: its name.")


class PersonaApplyOut(Wire):
    applied: PersonaOut
    face: FaceSource | None = Field(None, description="The face now loaded (/face/status).")
    effects: list[AudioEffect]
    label_shown: bool = Field(
        ..., description="False when the label cannot show (no overlay processor)."
    )
