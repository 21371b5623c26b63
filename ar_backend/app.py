"""The backend's Flask app factory."""

from __future__ import annotations

from flask import Flask

from ar_backend import __version__
from ar_backend.api import (
    audio,
    background,
    camera,
    face,
    face_people,
    health,
    jobs,
    models_api,
    outputs,
    personas,
)
from ar_backend.audio.effects import REGISTRY as EFFECTS
from ar_backend.audio.effects import EffectError, EffectNotInChain
from ar_backend.audio.engine import AudioUnavailable, NoSuchAudioDevice
from ar_backend.config import BackendConfig
from ar_backend.face.engines import REGISTRY as ENGINES
from ar_backend.face.errors import (
    BadImage,
    EngineUnavailable,
    FaceError,
    FaceFileNotFound,
    ImageTooLarge,
    ManyFaces,
    NoFace,
    NoFrame,
    NoSource,
    PathRefused,
    SourceTooSmall,
)
from ar_backend.face.imaging.pixel_limit import SizeUnreadable, TooManyPixels
from ar_backend.outputs.sinks import OutputUnavailable
from ar_backend.processors import REGISTRY as PROCESSORS
from ar_backend.sources import REGISTRY as SOURCES
from ar_backend.sources import BadSpec, SourceError, SourceTooLarge
from ar_backend.sources.device import DeviceNotOpen
from ar_backend.sources.media import (
    BadMediaName,
    MediaTooLarge,
    MediaTypeRefused,
    MediaUnavailable,
)
from ar_backend.studio import NotRunning, PathNotAllowed, StillRestoring, Studio, TooManyViewers
from shared.api import map_errors, new_app
from shared.metrics import use_collectors
from shared.openapi import install_openapi
from shared.registry import UnknownName
from shared.sysmetrics import SystemMetricsSampler

# The request field that names each kind of plug-in, for an UnknownName whose raiser did not
# name a field of its own (the chain names ``effects.<i>.type``, DELETE ``effect_type``).
NAMED_BY = {
    SOURCES.kind: "source",
    PROCESSORS.kind: "processors",
    ENGINES.kind: "engine",
    EFFECTS.kind: "type",
}


def _unknown_name_field(exc: Exception) -> str | None:
    return NAMED_BY.get(getattr(exc, "kind", ""))


def _is_open(method: str, path: str) -> bool:
    """Reads stay open (the server binds loopback by default); control needs the key."""
    return method in ("GET", "HEAD")


def create_app(
    config: BackendConfig,
    *,
    studio: Studio | None = None,
    sampler: SystemMetricsSampler | None = None,
) -> Flask:
    """Build the app around a Studio (made here unless given; its owner closes it)."""
    app = new_app(__name__, config.security, config.cors, _is_open, config.server.host)
    studio = studio or Studio(config)
    app.extensions["ar_backend"] = studio
    sampler = app.extensions["ar_backend_sampler"] = sampler or SystemMetricsSampler(interval=2.0)
    use_collectors(app, health.StudioCollector(studio, sampler))
    map_errors(
        app,
        {
            UnknownName: (400, _unknown_name_field),
            BadSpec: (400, "source"),
            DeviceNotOpen: (503, "source"),
            SourceTooLarge: (413, "source"),
            TooManyPixels: (413, None),
            SizeUnreadable: (415, None),
            SourceError: (503, "source"),
            PathNotAllowed: (403, None),
            NotRunning: (409, None),
            StillRestoring: (503, None),
            OutputUnavailable: (503, None),
            TooManyViewers: (503, None),
            EffectError: (400, None),
            EffectNotInChain: (404, "effect_type"),
            AudioUnavailable: (503, None),
            NoSuchAudioDevice: (400, None),
            BadMediaName: (400, "file"),
            MediaTooLarge: (413, "file"),
            MediaTypeRefused: (415, "file"),
            MediaUnavailable: (503, None),
            FaceError: (400, None),
            ImageTooLarge: (413, "image"),
            BadImage: (400, "image"),
            PathRefused: (400, "model_path"),
            FaceFileNotFound: (404, "model_path"),
            NoSource: (409, None, " (POST /face/load)"),
            NoFrame: (409, "frame_face_index"),
            NoFace: (422, "image"),
            ManyFaces: (422, "face_index"),
            SourceTooSmall: (422, "image"),
            EngineUnavailable: (503, "engine"),
        },
    )
    for module in (
        health,
        camera,
        outputs,
        audio,
        face,
        face_people,
        background,
        jobs,
        models_api,
        personas,
    ):
        app.register_blueprint(module.bp)
    install_openapi(
        app,
        title="ar_backend",
        version=__version__,
        description="AR Live Studio's backend: camera, face swap, voice, outputs.",
        api_key=config.security.api_key_enabled,
    )
    return app
