"""The backend's typed configuration (config/backend.yaml plus AR_BACKEND__* variables)."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, model_validator

from shared.config import (
    CorsConfig,
    LoggingConfig,
    MonitorLinkConfig,
    NodeId,
    NodeName,
    Section,
    SecurityConfig,
    ServerConfig,
    load_config,
)

log = logging.getLogger(__name__)

ENV_PREFIX = "AR_BACKEND"
ENV_ALIASES = {"YL_MONITOR_URL": "monitor.url"}


class BackendServerConfig(ServerConfig):
    """The backend's own defaults, kept when a single key is overridden."""

    port: int = Field(5501, ge=1, le=65535, description="TCP port to listen on.")
    threads: int = Field(32, ge=1, le=256, description="WSGI threads; each viewer holds one.")
    workers: int | None = Field(1, ge=1, le=1, description="One process: it owns the camera.")
    send_buffer: int | None = Field(
        131072, ge=4096, description="SO_SNDBUF of viewers' sockets: small, so slow ones skip."
    )
    outbuf_high_watermark: int = Field(
        65536, ge=4096, description="Bytes buffered for one viewer before its thread waits."
    )


class CameraConfig(Section):
    source: str = Field(
        "auto",
        description="auto (device 0, else demo), a device index, a file, an image, a URL, demo.",
    )
    width: int = Field(1280, ge=16, le=7680, description="Requested capture width.")
    height: int = Field(720, ge=16, le=4320, description="Requested capture height.")
    fps: float = Field(30.0, gt=0, le=240, description="Requested (or generated) frame rate.")
    mjpg: bool = Field(True, description="Ask a device for MJPG (more fps over USB).")
    reconnect_min: float = Field(0.5, gt=0, description="First reconnect delay, seconds.")
    reconnect_max: float = Field(5.0, gt=0, description="Longest reconnect delay, seconds.")
    max_devices: int = Field(
        4, ge=1, le=64, description="Device indices probed by /camera/devices."
    )
    open_timeout: float = Field(
        8.0,
        ge=0.5,
        le=120,
        description="Seconds a URL source may take to connect, or to deliver a frame, before "
        "it counts as failed (then retried with backoff).",
    )


class OverlayConfig(Section):
    show_stats: bool = Field(False, description="Draw fps and latency on the output.")
    ai_label: bool = Field(False, description='Draw an "AI-generated" label (disclosure).')
    label_text: str = Field("AI-generated", max_length=64, description="The label's text.")


class PipelineConfig(Section):
    processors: list[str] = Field(
        default_factory=lambda: ["face_swap", "background", "overlay"],
        description="Processor chain, by registry name (background after face_swap: it "
        "leaves the faces the swap tracks as they are).",
    )
    overlay: OverlayConfig = Field(default_factory=OverlayConfig)
    burn_ms: float = Field(0.0, ge=0, le=1000, description="Cost of the 'burn' test processor.")
    stats_window: int = Field(300, ge=10, description="Frames kept for latency percentiles.")
    overlap: bool = Field(
        True,
        description="Find the faces of the next frame while this one is rendered (a "
        "processor's prepare step on a thread of its own: the second core; a frame's latency "
        "is still its own steps, no frame is queued). false: every step on one thread.",
    )
    opencv_threads: int = Field(
        0,
        ge=0,
        le=64,
        description="OpenCV's own worker threads for the whole backend (0: the machine's "
        "cores less the live path's three busy threads (process, prepare, occlusion), at "
        "least 1: on two cores OpenCV's pool only adds waiting; a 720p60 source ran 3 ms of "
        "CPU a frame cheaper with it at 1).",
    )


class VirtualCameraConfig(Section):
    enabled: bool = Field(False, description="Start the virtual camera with the stream.")
    device: str | None = Field(
        None, description="e.g. /dev/video10; the library's choice if unset."
    )
    backend: str | None = Field(None, description="pyvirtualcam backend (v4l2loopback, obs).")


class OutputsConfig(Section):
    jpeg_quality: int = Field(80, ge=10, le=100, description="MJPEG and snapshot quality.")
    max_viewers: int | None = Field(
        None,
        ge=0,
        le=255,
        description="MJPEG viewers at once (each holds a server thread); more get 503. "
        "Must be below server.threads; default: server.threads less a reserve of "
        "min(8, threads / 2) for the API (24 of 32).",
    )
    viewer_stall_timeout: float = Field(
        10.0,
        ge=1,
        le=600,
        description="Seconds a viewer may take no frame at all before it is disconnected "
        "(a stalled client would otherwise hold its thread for good).",
    )
    virtual_camera: VirtualCameraConfig = Field(default_factory=VirtualCameraConfig)
    recordings_dir: str = Field("recordings", description="Folder recordings are written to.")
    record_crf: int = Field(
        23, ge=0, le=51, description="H.264 quality of recordings (x264 CRF: lower is better)."
    )
    record_preset: Literal[
        "auto", "ultrafast", "superfast", "veryfast", "faster", "fast", "medium"
    ] = Field(
        "auto",
        description="x264 speed preset of recordings: auto picks by the picture's size and "
        "rate (veryfast up to 720p30, superfast up to about 1.5x that, ultrafast above: at "
        "1080p30 veryfast alone would take most of a core); faster presets keep up on slower "
        "machines at a larger file. The encoder runs below the live path's priority either way.",
    )


DEFAULT_MAX_MEGAPIXELS = 40.0


class MediaConfig(Section):
    folders: list[str] = Field(
        default_factory=lambda: ["media"],
        description="Folders the API may name files in (video, image sources); the first "
        "is created at start when missing, and POST /media saves uploads into it.",
    )
    max_upload_mb: float = Field(
        500.0,
        gt=0,
        le=16384,
        description="Largest video or image POST /media takes, in MB (10^6 bytes); larger: 413.",
    )
    max_megapixels: float = Field(
        DEFAULT_MAX_MEGAPIXELS,
        gt=0,
        le=170,
        description="Most pixels (millions, width x height) a picture or a video's frame may "
        "hold, read from the file's header before anything is decoded: POST /media, image and "
        "video sources, file jobs and backgrounds refuse more (413 naming the limit). At most "
        "170 (Pillow refuses to describe larger pictures).",
    )


class EffectSpec(Section):
    type: str = Field(..., description="Effect type: pitch, robot, echo, reverb, gain, gate, ...")
    params: dict[str, float | bool] = Field(
        default_factory=dict, description="Its parameters (numbers, or true/false for a switch)."
    )
    bypass: bool = Field(False, description="Keep it in the chain but let audio pass.")


class AudioConfig(Section):
    input_device: str | int | None = Field(None, description="Microphone (name or index).")
    output_device: str | int | None = Field(
        None, description="Output, e.g. the virtual microphone's sink (name or index)."
    )
    sample_rate: int = Field(48000, ge=8000, le=192000, description="Samples per second.")
    block_size: int = Field(480, ge=32, le=8192, description="Frames per block (10 ms).")
    channels: int = Field(1, ge=1, le=2, description="Mono voice, or stereo.")
    max_effects: int = Field(
        16, ge=1, le=64, description="Longest effect chain; a longer one is refused (400)."
    )
    effects: list[EffectSpec] = Field(default_factory=list, description="The starting chain.")
    av_sync: Literal["auto", "off"] | Annotated[float, Field(ge=0, le=1000)] = Field(
        "auto",
        description="Delay of the live voice so lips match: auto (the video path's latency "
        "less the voice path's, measured each second and smoothed), off, or a fixed delay in "
        "ms (0-1000).",
    )

    @model_validator(mode="after")
    def _chain_fits(self) -> AudioConfig:
        if len(self.effects) > self.max_effects:
            raise ValueError(
                f"effects: {len(self.effects)} effects, more than max_effects ({self.max_effects})"
            )
        return self


class FaceOptions(Section):
    """What a user changes while live (POST /face/settings); takes effect on the next frame."""

    many_faces: bool = Field(False, description="Swap every face; else the largest only.")
    mouth_mask: bool = Field(False, description="Keep the target's own mouth so speech stays real.")
    blend: Literal["seamless", "feather"] = Field(
        "seamless", description="Paste-back: Poisson (seamless) or a feathered alpha."
    )
    detect_every: int = Field(
        5, ge=1, le=120, description="Run the detector every N frames; track in between."
    )
    detect_size: int = Field(
        640, ge=160, le=4096, description="Longest side (px) the detector sees."
    )
    smoothing: float = Field(
        0.6, ge=0.0, le=0.95, description="Landmark smoothing over time (0 off)."
    )
    likeness: float = Field(
        0.75,
        ge=0.0,
        le=1.0,
        description="How far the swapped face takes the source's face outline (jaw, chin) and "
        "forehead, the skin around moved smoothly with it (classic engine): 0 keeps the "
        "target's outline (most natural), 1 the source's (most like the source).",
    )
    enhancer: Literal["off", "gfpgan_1.4", "gpen_bfr_256", "gpen_bfr_512"] = Field(
        "off",
        description="Face enhancer run on the swapped faces (face.enhancer holds its files): "
        "off, gfpgan_1.4, gpen_bfr_256 or gpen_bfr_512.",
    )
    enhancer_strength: float = Field(
        0.8,
        ge=0.0,
        le=1.0,
        description="How much of the enhanced face is kept over the swapped one (0..1).",
    )
    occlusion: Literal["on", "off"] = Field(
        "on",
        description="What is in front of a face stays in front: hands (MediaPipe's palm "
        "detector and hand landmarks) and objects (a microphone, a cup, glasses' rims: not "
        "the face's skin or features, or not the person by person segmentation) are put "
        "back over the swap. Its model files: python -m ar_backend.weights fetch; without "
        "them the swap goes on without it and status says why.",
    )
    work_px: int = Field(
        256,
        ge=0,
        le=4096,
        description="The largest face (px across) the classic engine renders at its own "
        "size: a larger one (a close-up at 1080p) is rendered at this size and scaled up, the "
        "frame's own skin detail kept, so it costs what a face this size does. 0: every face "
        "at its own size. The quality governor lowers it while the machine cannot keep up.",
    )
    engine_options: dict[str, dict[str, Any]] = Field(
        default_factory=dict,
        description="Each engine's own options, by engine name (classic: shape_strength, how "
        "far brows, eyes, nose and mouth take the source's shape, 0-1); checked against the "
        "engine's options model when the config loads.",
    )

    @model_validator(mode="before")
    @classmethod
    def _flat_shape_strength(cls, data: Any) -> Any:
        """``shape_strength`` was a shared option once; it is the classic engine's own now
        (``engine_options.classic.shape_strength``). A file that still has the flat key
        loads, with a warning."""
        if isinstance(data, dict) and "shape_strength" in data:
            log.warning(
                "face.options.shape_strength is now "
                "face.options.engine_options.classic.shape_strength; move it there"
            )
            data = dict(data)
            value = data.pop("shape_strength")
            engines = dict(data.get("engine_options") or {})
            engines["classic"] = {"shape_strength": value, **(engines.get("classic") or {})}
            data["engine_options"] = engines
        return data


class InsightPackConfig(Section):
    """What the neural swappers share: insightface's analysis pack (its SCRFD detector with
    keypoints and its ArcFace recognizer) and the execution providers."""

    analysis: str = Field(
        "buffalo_l", description="Folder in the models folder holding the analysis pack."
    )
    detector: str = Field("det_10g.onnx", description="Detector file inside the pack.")
    recognizer: str = Field("w600k_r50.onnx", description="Recognition file inside the pack.")
    providers: list[str] = Field(
        default_factory=lambda: ["auto"],
        description="onnxruntime execution providers in order; auto: the best available.",
    )
    det_threshold: float = Field(0.5, gt=0, lt=1, description="Detector score threshold.")


class InswapperConfig(InsightPackConfig):
    model: str = Field(
        "inswapper_128.onnx",
        description="Swapper file in the models folder (inswapper_128_fp16.onnx also works).",
    )


class GpuConfig(Section):
    """GPU settings for every onnxruntime session (swappers, enhancers); GET /face/status
    shows what each session really got, and warns when a GPU was asked for and the CPU runs."""

    device_id: int = Field(0, ge=0, le=63, description="Which GPU (CUDA, ROCm, TensorRT, DML).")
    memory_limit_mb: int = Field(
        0,
        ge=0,
        le=1_048_576,
        description="Most GPU memory one session's arena may take (MiB; TensorRT: its "
        "workspace); 0: no limit.",
    )
    cudnn_conv_algo_search: Literal["EXHAUSTIVE", "HEURISTIC", "DEFAULT"] = Field(
        "HEURISTIC",
        description="cuDNN convolution algorithm search: EXHAUSTIVE is fastest once warm but "
        "slow to start and takes more memory; HEURISTIC starts fast (ROCm: EXHAUSTIVE turns "
        "MIOpen's exhaustive search on).",
    )
    tensorrt_cache_dir: str | None = Field(
        None,
        description="Folder for TensorRT's built engines (trt_cache inside it); null: the "
        "models folder. A first start builds them for minutes; later starts read them.",
    )
    tensorrt_fp16: bool = Field(
        False,
        description="TensorRT builds half-precision engines (faster, on GPUs that have it). Off "
        "by default: FaceFusion's TensorRT options have no fp16, and the swappers' and "
        "restorers' GAN decoders in half precision give black or broken faces.",
    )


class EnhancerConfig(Section):
    """The face enhancer (face.options.enhancer picks the model, live): its model files and
    providers. It runs on the swapped faces only."""

    models: dict[str, str] = Field(
        default_factory=lambda: {
            "gfpgan_1.4": "gfpgan_1.4.onnx",
            "gpen_bfr_256": "gpen_bfr_256.onnx",
            "gpen_bfr_512": "gpen_bfr_512.onnx",
        },
        description="The file in the models folder for each enhancer model.",
    )
    providers: list[str] = Field(
        default_factory=lambda: ["auto"],
        description="onnxruntime execution providers in order; auto: the best available.",
    )
    live_budget_ms: float = Field(
        20.0,
        gt=0,
        le=1000,
        description="Most time per frame the enhancer may take live before status says it "
        "cannot keep the live rate here (and the window suggests it for file jobs).",
    )


class HyperswapConfig(InsightPackConfig):
    """FaceFusion's HyperSwap (256 px): the swapper file, and insightface's detector and
    recognizer (the same analysis pack as inswapper). The weights are ResearchRAIL-MS:
    research use, not commercial."""

    model: str = Field(
        "hyperswap_1a_256.onnx",
        description="Swapper file in the models folder (hyperswap_1b_256.onnx and "
        "hyperswap_1c_256.onnx have the same interface).",
    )


class DetectionConfig(Section):
    """How faces are found and followed: MediaPipe's face detector and face mesh on every
    frame (ar_backend/face/live/follow.py; their files: python -m ar_backend.weights fetch
    mediapipe_face), or dlib's HOG detector every few frames (face/live/tracker.py)."""

    backend: Literal["auto", "dlib"] = Field(
        "auto",
        description="auto: MediaPipe's detector and mesh on every frame when their files are "
        "present and verified, else dlib's HOG detector (said in /face/status detection); "
        "dlib: dlib's HOG detector every face.options.detect_every frames.",
    )

    threads: int = Field(
        1,
        ge=1,
        le=16,
        description="CPU threads each LiteRT model (XNNPACK) runs on; 1 leaves the other "
        "cores to the swap and the encoder (on 2 cores, 2 threads were slower under load).",
    )


DEFAULT_FACE_STATE_DIR = "data/face"  # beside the monitor's data/yl_monitor.db


class FaceConfig(Section):
    engine: str = Field(
        "classic", description="Swap engine: classic (dlib), inswapper or hyperswap."
    )
    enabled: bool = Field(False, description="Swap from the start (needs a face loaded).")
    source: str | None = Field(
        None, description="A face image in the sources folder to load at start."
    )
    sources_dir: str = Field("faces", description="Folder of source face images.")
    models_dir: str = Field("models", description="Folder of user-supplied model files.")
    models_manifest: str = Field(
        "config/models.yaml",
        description="Model manifest (sizes, SHA-256, mirrors, licences): a listed file whose "
        "size or hash differs is never loaded; python -m ar_backend.weights fetches them "
        "(relative: from the working folder, else from the repository).",
    )
    max_upload_mb: float = Field(10.0, gt=0, le=50, description="Largest image upload.")
    max_side: int = Field(4096, ge=64, le=16384, description="Largest image side accepted.")
    min_source_px: int = Field(
        48, ge=16, le=512, description="Smallest source face (px) accepted; smaller: refused."
    )
    detect_thread: bool = Field(
        True,
        description="Run the detector beside the live path (no frame waits for it); "
        "false: on the frame it is due.",
    )
    confirm_faces: bool = Field(
        True,
        description="Check every tracked face on every frame with the detector on its "
        "neighbourhood (ar_backend/face/live/confirm.py) and drop one that fails 3 frames in a "
        "row (a swap never lands on a name tag once the face has gone; a half-covered face "
        "is held by its brows and eyes). Off: a face is followed until the detector misses "
        "it 3 times.",
    )
    governor: Literal["on", "off"] = Field(
        "on",
        description="The quality governor (ar_backend/governor.py): while fps out falls under "
        "the source's rate, turn down what costs most and matters least (the enhancer, "
        "detection size, the preview...), one step at a time, and back up when there is "
        "room; its steps in /status governor. off: the settings chosen, whatever the rate.",
    )
    governor_latency_frames: float = Field(
        1.5,
        ge=0,
        le=10,
        description="The governor also steps down while the 95th percentile of the live "
        "latency (camera to out) is over this many frame times (1.5: 50 ms at 30 fps, 25 ms at "
        "60): the picture keeps up with the sound. 0: the rate alone.",
    )
    options: FaceOptions = Field(default_factory=FaceOptions)
    inswapper: InswapperConfig = Field(default_factory=InswapperConfig)
    hyperswap: HyperswapConfig = Field(default_factory=HyperswapConfig)
    enhancer: EnhancerConfig = Field(default_factory=EnhancerConfig)
    gpu: GpuConfig = Field(default_factory=GpuConfig)
    detection: DetectionConfig = Field(default_factory=DetectionConfig)
    # -- who is swapped, and the face set (ar_backend/face/people/: reference.py, faceset.py)
    reference_threshold: dict[str, Annotated[float, Field(gt=0.0, le=2.0)]] = Field(
        default_factory=lambda: {"classic": 0.6, "inswapper": 0.65, "hyperswap": 0.65},
        description="Per engine, the descriptor distance under which a face in view is the "
        "reference person (or a face map's reference): classic compares dlib's face "
        "descriptors (Euclidean; one person: under 0.6), inswapper ArcFace embeddings "
        "(cosine distance).",
    )
    max_set: int = Field(
        8, ge=1, le=16, description="Most photos in a face set (POST /face/load, several image)."
    )
    # -- the privacy guard, what survives a restart (ar_backend/face/live/guard.py, face/store.py)
    guard: Literal["off", "hold", "blur"] = Field(
        "blur",
        description="With the swap on, a frame with a face in view that could not be swapped "
        "(not yet detected, engine fault, no face loaded yet) never leaves as it is: hold "
        "repeats the last good frame (at most guard_hold_max s, then blurs), blur blurs where "
        "the face is (the whole frame when that is not known); off lets it through. Live: "
        "POST /face/settings {guard}.",
    )
    guard_hold_max: float = Field(
        2.0, ge=0.0, le=60.0, description="Longest a held frame is repeated (s), then blur."
    )
    state_dir: str | None = Field(
        default_factory=lambda: DEFAULT_FACE_STATE_DIR,
        description="Folder the loaded face, on/off and the live options are kept in, restored "
        "at start (before the first frame); null: nothing is kept.",
    )


HEX_COLOUR = r"^#[0-9a-fA-F]{6}$"


class BackgroundConfig(Section):
    """What is behind the person (ar_backend/background): left as it is, blurred, a colour or
    a picture, cut out by person segmentation. Live (POST /background) and in file jobs; the
    live choice is kept across a restart (in face.state_dir) and wins over these at start."""

    mode: Literal["off", "blur", "color", "image"] = Field(
        "off", description="off, blur, color (a plain colour) or image (a media file)."
    )
    blur: float = Field(
        0.5, ge=0.0, le=1.0, description="How strongly blur mode blurs (0 light .. 1 strong)."
    )
    color: str = Field(
        "#00b140", pattern=HEX_COLOUR, description="The colour of color mode, #rrggbb."
    )
    image: str | None = Field(
        None,
        max_length=1024,
        description="The picture of image mode: a file in the media folders (media.folders).",
    )


DEFAULT_DATA_DIR = "data"  # the backend's data folder when face.state_dir names none


class JobsConfig(Section):
    """File jobs (ar_backend/jobs): a whole video or picture swapped off the live path."""

    workers: int = Field(
        1,
        ge=1,
        le=4,
        description="Worker processes rendering jobs side by side (first queued, first run); "
        "each takes CPU from the live path, so 1 on a machine that streams.",
    )
    outputs_dir: str = Field(
        "outputs", description="Folder the finished files are written to (created when needed)."
    )
    data_dir: str | None = Field(
        None,
        description="Folder of the job list (jobs.sqlite) and the face pictures jobs keep "
        "(job-faces/); null: the backend's data folder, the one face.state_dir is in "
        "(data).",
    )
    quality: int = Field(
        20,
        ge=0,
        le=51,
        description="Default H.264 quality of a video job (CRF: 0 best, 51 smallest).",
    )
    max_queued: int = Field(
        100, ge=1, le=10000, description="Jobs waiting at most; more: 429 naming input."
    )
    nice: int = Field(
        10,
        ge=0,
        le=19,
        description="How much lower the workers' OS priority is than the backend's (os.nice), "
        "so the live path keeps its rate while a job renders.",
    )
    keep_days: float | None = Field(
        30.0,
        gt=0,
        le=36500,
        description="Finished jobs (done, failed, cancelled, interrupted) older than this many "
        "days leave the job list (with the face pictures only they kept), at start and every "
        "10 minutes; their output files stay in outputs_dir. null: no age limit.",
    )
    keep_finished: int | None = Field(
        500,
        ge=1,
        le=100000,
        description="Most finished jobs kept on the list (the newest); older ones leave it as "
        "with keep_days, their output files kept. null: no count limit.",
    )


class BackendMonitorLink(MonitorLinkConfig):
    """The backend's defaults, kept when a single key is overridden."""

    node_id: NodeId = "ar-backend"
    node_name: NodeName = "AR Backend"


class BackendConfig(Section):
    server: BackendServerConfig = Field(default_factory=lambda: BackendServerConfig())
    logging: LoggingConfig = Field(default_factory=LoggingConfig)
    cors: CorsConfig = Field(
        default_factory=lambda: CorsConfig(
            origins=["http://127.0.0.1:5501", "http://localhost:5501"]
        )
    )
    security: SecurityConfig = Field(default_factory=SecurityConfig)
    camera: CameraConfig = Field(default_factory=CameraConfig)
    pipeline: PipelineConfig = Field(default_factory=PipelineConfig)
    outputs: OutputsConfig = Field(default_factory=OutputsConfig)
    media: MediaConfig = Field(default_factory=MediaConfig)
    audio: AudioConfig = Field(default_factory=AudioConfig)
    face: FaceConfig = Field(default_factory=FaceConfig)
    background: BackgroundConfig = Field(default_factory=BackgroundConfig)
    jobs: JobsConfig = Field(default_factory=JobsConfig)
    monitor: BackendMonitorLink = Field(default_factory=BackendMonitorLink)

    @model_validator(mode="after")
    def _viewers_leave_threads(self) -> BackendConfig:
        cap, threads = self.outputs.max_viewers, self.server.threads
        if cap is not None and cap >= threads:
            raise ValueError(
                f"outputs.max_viewers ({cap}) must be below server.threads ({threads}): "
                "each viewer holds a thread, and the API needs some left"
            )
        return self

    @property
    def jobs_data_dir(self) -> Path:
        """Where the job list and its face pictures live: ``jobs.data_dir``, else the
        folder ``face.state_dir`` is in (``data``), else ``data``."""
        if self.jobs.data_dir:
            return resolve_dir(self.jobs.data_dir)
        if self.face.state_dir:
            return resolve_dir(self.face.state_dir).parent
        return resolve_dir(DEFAULT_DATA_DIR)

    @property
    def personas_dir(self) -> Path:
        """Where personas are kept: ``personas/`` in the backend's data folder (the folder
        ``face.state_dir`` is in, else ``data``)."""
        if self.face.state_dir:
            return resolve_dir(self.face.state_dir).parent / "personas"
        return resolve_dir(DEFAULT_DATA_DIR) / "personas"

    @property
    def max_viewers(self) -> int:
        """The viewer cap in force: the configured one, or threads less the API's reserve."""
        if self.outputs.max_viewers is not None:
            return self.outputs.max_viewers
        threads = self.server.threads
        return threads - max(1, min(8, threads // 2))


def load_backend_config(
    path: str | os.PathLike[str] | None = None,
    *,
    environ: dict[str, str] | None = None,
    overrides: dict[str, Any] | None = None,
) -> BackendConfig:
    return load_config(
        BackendConfig,
        path,
        env_prefix=ENV_PREFIX,
        environ=environ,
        aliases=ENV_ALIASES,
        overrides=overrides,
    )


def resolve_dir(path: str) -> Path:
    """A folder named in the config (``~`` expanded, absolute, links resolved): the one way
    the backend turns a configured folder into the path it checks request paths against."""
    return Path(path).expanduser().resolve()
