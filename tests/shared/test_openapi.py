"""Each service's OpenAPI 3.1 document: valid, complete, and served with a page to read it."""

from __future__ import annotations

import pytest
from openapi_spec_validator import validate

from shared.openapi import openapi_path, undocumented


def test_flask_rules_become_openapi_paths() -> None:
    assert openapi_path("/api/alerts/<int:alert_id>/acknowledge") == (
        "/api/alerts/{alert_id}/acknowledge"
    )
    assert openapi_path("/audio/effect/<effect_type>") == "/audio/effect/{effect_type}"


@pytest.fixture
def monitor_app(make_monitor):
    return make_monitor()[0]


def _check_complete(app) -> dict:
    """No undocumented route, no documented route missing, a valid OpenAPI 3.1 document."""
    assert undocumented(app) == []
    doc = app.test_client().get("/openapi.json").json
    validate(doc)  # the OpenAPI 3.1 meta-schema
    assert doc["openapi"] == "3.1.0"
    rules = {
        (openapi_path(r.rule), m.lower())
        for r in app.url_map.iter_rules()
        if r.endpoint != "static"
        for m in r.methods - {"HEAD", "OPTIONS"}
    }
    documented = {(p, m) for p, ops in doc["paths"].items() for m in ops}
    assert documented == rules
    return doc


def test_the_monitor_documents_every_route(monitor_app) -> None:
    doc = _check_complete(monitor_app)
    beat = doc["paths"]["/api/ar/nodes/{node_id}/heartbeat"]["post"]
    schema_ref = beat["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    assert schema_ref.endswith("/HeartbeatIn")  # the model that validates the request
    assert "ErrorOut" in doc["components"]["schemas"]


def test_the_document_and_its_page_need_no_key(make_monitor) -> None:
    app, _ = make_monitor(security={"api_key_enabled": True, "api_key": "k"})
    client = app.test_client()
    doc = client.get("/openapi.json")
    assert doc.status_code == 200
    assert doc.json["components"]["securitySchemes"]["apiKey"]["name"] == "X-API-Key"
    page = client.get("/docs")
    assert page.status_code == 200 and page.mimetype == "text/html"
    assert b"openapi.json" in page.data
    assert client.get("/api/ar/nodes").status_code == 401  # the API itself still needs it


def test_the_backend_documents_every_route(tmp_path) -> None:
    from ar_backend.app import create_app
    from ar_backend.config import BackendConfig
    from ar_backend.studio import Studio

    cfg = BackendConfig.model_validate(
        {"monitor": {"enabled": False}, "media": {"folders": [str(tmp_path)]}}
    )
    studio = Studio(cfg)
    try:
        doc = _check_complete(create_app(cfg, studio=studio))
    finally:
        studio.close()
    load = doc["paths"]["/face/load"]["post"]["requestBody"]["content"]
    assert set(load) == {"application/json", "multipart/form-data"}
    chain = doc["components"]["schemas"]["ChainIn"]
    assert chain["properties"]["effects"]["maxItems"] == 64
