"""GET /metrics, the same for every service: its figures as JSON by default, Prometheus text
when the Accept header asks for it (:func:`shared.api.wants_prometheus`).

A service says what it measures in two places that read the same objects: ``figures()``, its
JSON answer (its ``MetricsOut`` in :mod:`shared.wire`), and the Prometheus collectors a
scrape reads::

    use_collectors(app, StudioCollector(studio))       # in create_app
    metrics_route(bp, MetricsOut, figures)             # in the blueprint's module
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from flask import Blueprint, Flask, Response, current_app, request
from flask.typing import ResponseReturnValue
from prometheus_client import CollectorRegistry
from prometheus_client.exposition import choose_encoder
from prometheus_client.registry import Collector
from pydantic import BaseModel

from shared.api import answer, wants_prometheus
from shared.openapi import operation

EXTENSION = "shared.metrics"  # app.extensions key of the app's CollectorRegistry
PROMETHEUS_MEDIA = ("text/plain", "application/openmetrics-text")

M = TypeVar("M", bound=BaseModel)


def use_collectors(app: Flask, *collectors: Collector) -> CollectorRegistry:
    """The app's Prometheus registry: these collectors, read at each scrape of /metrics."""
    registry = CollectorRegistry(auto_describe=False)
    for collector in collectors:
        registry.register(collector)
    app.extensions[EXTENSION] = registry
    return registry


def metrics_route(bp: Blueprint, ok: type[M], figures: Callable[[], M]) -> None:
    """``GET /metrics`` on ``bp``: ``figures()`` as JSON (documented as ``ok``), or the app's
    collectors (:func:`use_collectors`) in the Prometheus format the Accept header names."""

    @bp.get("/metrics")
    @operation(
        "Figures as JSON, or Prometheus text when the Accept header asks for it",
        ok=ok,
        alt_media=PROMETHEUS_MEDIA,
        tags=("health",),
    )
    def metrics() -> ResponseReturnValue:
        if wants_prometheus():
            encoder, content_type = choose_encoder(request.headers.get("Accept", ""))
            registry = current_app.extensions[EXTENSION]
            return Response(encoder(registry), content_type=content_type)
        return answer(figures())
