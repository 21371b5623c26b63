"""shared/metrics.py: one /metrics for every service, on a service of its own making here:
its figures as JSON through their wire model, its collectors as Prometheus text to a scrape,
and the route in the OpenAPI document."""

from __future__ import annotations

from collections.abc import Iterator

from flask import Blueprint
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.registry import Collector
from pydantic import BaseModel, Field

from shared.api import new_app
from shared.config import CorsConfig, SecurityConfig
from shared.metrics import metrics_route, use_collectors
from shared.openapi import install_openapi


class Figures(BaseModel):
    service: str
    queue: int
    since: str | None = Field(None, alias="from")
    note: str | None = None


class Queue(Collector):
    def __init__(self, depth: list[int]) -> None:
        self.depth = depth

    def collect(self) -> Iterator[GaugeMetricFamily]:
        yield GaugeMetricFamily("toy_queue", "Waiting.", value=self.depth[0])


def test_json_from_the_figures_prometheus_from_the_collectors() -> None:
    depth = [3]
    app = new_app(__name__, SecurityConfig(), CorsConfig(), lambda _m, _p: True)
    bp = Blueprint("toy", __name__)
    metrics_route(
        bp,
        Figures,
        lambda: Figures.model_validate({"service": "toy", "queue": depth[0], "from": "x"}),
    )
    app.register_blueprint(bp)
    use_collectors(app, Queue(depth))
    install_openapi(app, title="toy", version="1", description="A toy.", api_key=False)
    client = app.test_client()

    depth[0] = 5  # read at each request
    # the fields set, under their wire names; one left at its default is not sent
    assert client.get("/metrics").get_json() == {"service": "toy", "queue": 5, "from": "x"}
    text = client.get("/metrics", headers={"Accept": "text/plain"}).get_data(as_text=True)
    (family,) = text_string_to_metric_families(text)
    assert (family.name, family.samples[0].value) == ("toy_queue", 5)
    scraped = client.get("/metrics", headers={"Accept": "application/openmetrics-text"})
    assert scraped.content_type.startswith("application/openmetrics-text")

    answer = client.get("/openapi.json").get_json()["paths"]["/metrics"]["get"]
    content = answer["responses"]["200"]["content"]
    assert set(content) >= {"application/json", "text/plain", "application/openmetrics-text"}
    assert content["application/json"]["schema"] == {"$ref": "#/components/schemas/Figures"}
