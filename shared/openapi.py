"""OpenAPI 3.1 documents built from the pydantic models that validate each request.

A route declares its contract once, with :func:`operation`::

    @bp.post("/register")
    @operation("Register a node", body=RegisterIn, ok=RegisterOut, errors=(409,))
    def register(body: RegisterIn): ...

The decorator parses and validates the body (through the strict edge in :mod:`shared.api`)
and the query string with those same models, and passes them to the view as ``body`` and
``query``; :func:`build_document` turns the app's routes and their declarations into the
document served at ``/openapi.json``. pydantic's JSON Schema is the 2020-12 dialect that
OpenAPI 3.1 uses, so the schemas go in unchanged. :func:`undocumented` lists the routes that
declare nothing, and a test keeps it empty.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from flask import Flask, request
from flask.typing import ResponseReturnValue
from pydantic import BaseModel, ConfigDict, Field
from pydantic.json_schema import JsonSchemaMode

OPENAPI_VERSION = "3.1.0"
REF = "#/components/schemas/{model}"


class ErrorOut(BaseModel):
    """Every error a service answers (the JSON envelope of :mod:`shared.api`)."""

    # open by design: an error may add what its exception's ``details`` carry (a face
    # that needs an index its ``faces``, a full preview its ``max_viewers``, a missing
    # virtual camera its ``setup_command``): error_response writes them beside these
    model_config = ConfigDict(extra="allow")

    error: str = Field(..., description="The HTTP status phrase.")
    message: str = Field(..., description="What went wrong, for a person (English).")
    message_key: str = Field(
        ...,
        description="The message's stable key in shared/messages.py (`error.field`, "
        "`picture.too_many_pixels`...): a client renders it in its own language.",
    )
    message_args: dict[str, Any] = Field(
        ..., description="The message's named parameters (JSON values)."
    )
    code: int = Field(..., ge=400, le=599, description="The HTTP status code.")
    field: str | None = Field(None, description="The field, header or parameter at fault.")
    timestamp: str = Field(..., description="When (ISO-8601, UTC).")
    request_id: str | None = Field(None, description="X-Request-ID, for the server's log.")


@dataclass(frozen=True)
class Operation:
    """What a route accepts and answers."""

    summary: str
    body: type[BaseModel] | None = None
    body_required: bool = True
    pass_raw: bool = False  # also hand the view the body as sent, as ``raw``
    query: type[BaseModel] | None = None
    form: type[BaseModel] | None = None  # multipart/form-data, parsed by the view itself
    ok: type[BaseModel] | None = None
    ok_media: str | None = None  # a non-JSON answer: "image/jpeg", "text/html" ...
    alt_media: tuple[str, ...] = ()  # other media types the same answer may take
    errors: tuple[int, ...] = ()
    tags: tuple[str, ...] = ()
    description: str | None = None
    path_params: dict[str, dict[str, Any]] = field(default_factory=dict)
    ok_status: int = 200  # 202 for a request accepted to run later


def operation(
    summary: str,
    *,
    body: type[BaseModel] | None = None,
    body_required: bool = True,
    pass_raw: bool = False,
    query: type[BaseModel] | None = None,
    form: type[BaseModel] | None = None,
    ok: type[BaseModel] | None = None,
    ok_media: str | None = None,
    alt_media: tuple[str, ...] = (),
    errors: Iterable[int] = (),
    tags: Iterable[str] = (),
    description: str | None = None,
    path_params: dict[str, dict[str, Any]] | None = None,
    ok_status: int = 200,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Declare a route's contract; parse ``body`` and ``query`` with those models."""
    op = Operation(
        summary,
        body,
        body_required,
        pass_raw,
        query,
        form,
        ok,
        ok_media,
        tuple(alt_media),
        tuple(errors),
        tuple(tags),
        description,
        dict(path_params or {}),
        ok_status,
    )

    def deco(view: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            from shared.api import parse_body_raw, parse_query

            if op.body is not None and not (op.form and request.mimetype == "multipart/form-data"):
                kwargs["body"], raw = parse_body_raw(op.body, op.body_required)
                if op.pass_raw:
                    kwargs["raw"] = raw
            if op.query is not None:
                kwargs["query"] = parse_query(op.query)
            return view(*args, **kwargs)

        wrapper.__openapi__ = op  # type: ignore[attr-defined]  # mypy: functions take no attributes
        return wrapper

    return deco


def declared(view: Callable[..., Any]) -> Operation | None:
    return getattr(view, "__openapi__", None)


def _routes(app: Flask) -> Iterable[tuple[Any, str, Callable[..., Any]]]:
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        view = app.view_functions[rule.endpoint]
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            yield rule, method, view


def undocumented(app: Flask) -> list[str]:
    """``"POST /path"`` for each route that declares no :func:`operation`."""
    return [f"{m} {r.rule}" for r, m, view in _routes(app) if declared(view) is None]


_CONVERTER = re.compile(r"<(?:(?P<conv>[a-z]+)(?:\([^)]*\))?:)?(?P<name>\w+)>")


def openapi_path(rule: str) -> str:
    """``/api/alerts/<int:alert_id>/acknowledge`` -> ``/api/alerts/{alert_id}/acknowledge``."""
    return _CONVERTER.sub(lambda m: "{" + m.group("name") + "}", rule)


class _Schemas:
    """Collects model schemas into ``components.schemas`` and hands out references."""

    def __init__(self) -> None:
        self.components: dict[str, Any] = {}

    def ref(self, model: type[BaseModel], mode: JsonSchemaMode = "validation") -> dict[str, Any]:
        schema = model.model_json_schema(ref_template=REF, mode=mode)
        for name, sub in schema.pop("$defs", {}).items():
            self.components.setdefault(name, sub)
        self.components.setdefault(model.__name__, schema)
        return {"$ref": REF.format(model=model.__name__)}


def _query_parameters(model: type[BaseModel]) -> list[dict[str, Any]]:
    schema = model.model_json_schema()
    required = set(schema.get("required", []))
    params = []
    for name, prop in schema.get("properties", {}).items():
        branches = [b for b in prop.get("anyOf", []) if b.get("type") != "null"]
        if len(branches) == 1:  # optional: a query string has no null, only absence
            prop = {**{k: v for k, v in prop.items() if k != "anyOf"}, **branches[0]}
            if prop.get("default", 0) is None:
                del prop["default"]
        param: dict[str, Any] = {
            "name": name,
            "in": "query",
            "required": name in required,
            "schema": {k: v for k, v in prop.items() if k not in ("title", "description")},
        }
        if "description" in prop:
            param["description"] = prop["description"]
        params.append(param)
    return params


def _path_parameters(rule: Any, op: Operation) -> list[dict[str, Any]]:
    params = []
    for name in rule.arguments:
        converter = rule._converters[name]
        kind = type(converter).__name__
        schema: dict[str, Any] = {"type": "integer"} if kind == "IntegerConverter" else {}
        if not schema:
            schema = {"type": "string"}
        schema.update(op.path_params.get(name, {}))
        params.append({"name": name, "in": "path", "required": True, "schema": schema})
    return params


STANDARD_ERRORS = {
    400: "Bad input: the message and `field` say what (nothing was changed)",
    401: "An API key is needed (when keys are enabled)",
    403: "A request from a foreign web page (Origin), or a path outside the allowed folders",
    404: "No such resource",
    409: "The resource's state does not allow this now",
    413: "The body is too large",
    415: "The body is not sent as application/json",
    422: "The input is well-formed but cannot be used (say, no face in the picture)",
    503: "A device, the storage or an engine is unavailable; the message says which",
}


def _operation_object(rule: Any, method: str, op: Operation, schemas: _Schemas) -> dict[str, Any]:
    out: dict[str, Any] = {
        "summary": op.summary,
        "operationId": f"{method.lower()}_{rule.endpoint.replace('.', '_')}",
    }
    if op.description:
        out["description"] = op.description
    if op.tags:
        out["tags"] = list(op.tags)
    params = _path_parameters(rule, op)
    if op.query is not None:
        params += _query_parameters(op.query)
    if params:
        out["parameters"] = params
    content: dict[str, Any] = {}
    if op.body is not None:
        content["application/json"] = {"schema": schemas.ref(op.body)}
    if op.form is not None:
        content["multipart/form-data"] = {"schema": schemas.ref(op.form)}
    if content:
        out["requestBody"] = {"required": op.body_required, "content": content}
    ok: dict[str, Any] = {"description": "Accepted" if op.ok_status == 202 else "OK"}
    if op.ok is not None:
        ok["content"] = {"application/json": {"schema": schemas.ref(op.ok, "serialization")}}
    if op.ok_media is not None:
        ok.setdefault("content", {})[op.ok_media] = {"schema": {"type": "string"}}
    for media in op.alt_media:
        ok.setdefault("content", {})[media] = {"schema": {"type": "string"}}
    error_ref = {"application/json": {"schema": {"$ref": REF.format(model="ErrorOut")}}}
    codes = {400, 401, 403, 404, 405}
    if content:
        codes |= {413, 415}
    codes |= set(op.errors)
    responses: dict[str, Any] = {str(op.ok_status): ok}
    for code in sorted(codes):
        text = STANDARD_ERRORS.get(code, "Refused")
        if code == 405:
            text = "Method not allowed"
        responses[str(code)] = {"description": text, "content": error_ref}
    out["responses"] = responses
    return out


def build_document(
    app: Flask, *, title: str, version: str, description: str, api_key: bool
) -> dict[str, Any]:
    """The app's OpenAPI 3.1 document, from the routes' :func:`operation` declarations."""
    schemas = _Schemas()
    schemas.ref(ErrorOut, "serialization")
    paths: dict[str, dict[str, Any]] = {}
    for rule, method, view in _routes(app):
        op = declared(view)
        if op is None:
            continue
        path = paths.setdefault(openapi_path(rule.rule), {})
        path[method.lower()] = _operation_object(rule, method, op, schemas)
    doc: dict[str, Any] = {
        "openapi": OPENAPI_VERSION,
        "info": {"title": title, "version": version, "description": description},
        "paths": dict(sorted(paths.items())),
        "components": {"schemas": dict(sorted(schemas.components.items()))},
    }
    if api_key:
        doc["components"]["securitySchemes"] = {
            "apiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
            "bearer": {"type": "http", "scheme": "bearer"},
        }
        doc["security"] = [{"apiKey": []}, {"bearer": []}]
    return doc


class DocumentOut(BaseModel):
    """An OpenAPI 3.1 document."""

    # open by design: the OpenAPI specification's own fields (components, security, tags,
    # servers...), which this model does not repeat
    model_config = ConfigDict(extra="allow")

    openapi: str
    info: dict[str, Any]
    paths: dict[str, Any]


def install_openapi(
    app: Flask, *, title: str, version: str, description: str, api_key: bool
) -> None:
    """Serve the app's document at ``/openapi.json`` and a page to browse it at ``/docs``.

    The document is built once, on the first request, after every blueprint is registered.
    """
    from flask import Blueprint, Response, jsonify

    bp = Blueprint("openapi", __name__)
    page = resources.files("shared").joinpath("openapi_page.html").read_text(encoding="utf-8")
    built: list[dict[str, Any]] = []

    @bp.get("/openapi.json")
    @operation("This OpenAPI 3.1 document", ok=DocumentOut, tags=("documentation",))
    def document() -> ResponseReturnValue:
        if not built:
            built.append(
                build_document(
                    app, title=title, version=version, description=description, api_key=api_key
                )
            )
        return jsonify(built[0])

    @bp.get("/docs")
    @operation("A page to browse this API", ok_media="text/html", tags=("documentation",))
    def docs_page() -> ResponseReturnValue:
        return Response(page.replace("{{title}}", title), mimetype="text/html")

    app.register_blueprint(bp)
