"""Flask helpers every service uses: the JSON error envelope, API keys, CORS, body parsing.

Every error a client sees has the same shape::

    {"error": "Bad Request", "message": "...", "message_key": "error.field",
     "message_args": {...}, "field": "node_id", "code": 400,
     "timestamp": "2026-11-23T10:00:00.000Z"}

``message`` is rendered from ``message_key`` and ``message_args`` (shared/messages.py), so a
client in another language can say it in its own words.
"""

from __future__ import annotations

import hmac
import itertools
import logging
import os
import uuid
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, Response, g, jsonify, request
from flask.json.provider import DefaultJSONProvider
from pydantic import BaseModel, ValidationError
from werkzeug.exceptions import HTTPException, MethodNotAllowed, RequestEntityTooLarge

from shared import strictjson
from shared.config import CorsConfig, SecurityConfig
from shared.crosssite import HostGuard
from shared.messages import Message, as_message, message_of, msg
from shared.timeutil import utc_now_iso

log = logging.getLogger(__name__)
M = TypeVar("M", bound=BaseModel)

MAX_BODY_BYTES = 64 * 1024


class ApiError(Exception):
    """An error answered as JSON with a status code and, where known, the field at fault;
    ``message`` is a catalogue Message (or text without a key of its own)."""

    def __init__(self, status: int, message: Message | str, field: str | None = None) -> None:
        self.keyed = as_message(message)
        super().__init__(str(self.keyed))
        self.status = status
        self.message = str(self.keyed)
        self.field = field


def error_response(
    status: int,
    message: Message | str,
    field: str | None = None,
    details: dict[str, Any] | None = None,
) -> tuple[Response, int]:
    from http import HTTPStatus

    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "Error"
    keyed = as_message(message)
    body: dict[str, Any] = {"error": phrase, **keyed.fields("message"), "code": status}
    if field is not None:
        body["field"] = field
    for key, value in (details or {}).items():
        body.setdefault(key, value)
    body["timestamp"] = utc_now_iso()
    rid = getattr(g, "request_id", None) if _in_request() else None
    if rid:
        body["request_id"] = rid
    return jsonify(body), status


def _in_request() -> bool:
    from flask import has_request_context

    return has_request_context()


def new_app(
    import_name: str,
    security: SecurityConfig,
    cors: CorsConfig,
    is_open: Callable[[str, str], bool],
    bind_host: str = "127.0.0.1",
) -> Flask:
    """A Flask app with what every service has: the JSON error envelope, request ids, the
    Host and Origin checks, the API-key check (requests ``is_open`` does not exempt), CORS,
    and the 64 KiB body limit."""
    app = Flask(import_name)
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES
    if isinstance(app.json, DefaultJSONProvider):  # Flask's own, always: keys in model order
        app.json.sort_keys = False
    install_request_id(app)
    install_error_handlers(app)
    install_host_guard(app, security, cors, bind_host)
    install_api_key_check(app, security, is_open)
    install_cors(app, cors)
    return app


def install_host_guard(
    app: Flask, security: SecurityConfig, cors: CorsConfig, bind_host: str
) -> None:
    """Refuse a Host that is not ours (400) and a foreign page's writes (403), keys or not."""
    origins = cors.origins if cors.enabled else []
    guard = HostGuard([*security.allowed_hosts, bind_host], origins)

    @app.before_request
    def _check_host_and_origin() -> tuple[Response, int] | None:
        host = request.headers.get("Host")
        problem = guard.host_problem(host)
        if problem is not None:
            return error_response(400, problem, "Host")
        problem = guard.origin_problem(request.method, request.headers.get("Origin"), host)
        if problem is not None:
            return error_response(403, problem, "Origin")
        return None


FieldOf = str | None | Callable[[Exception], str | None]
ErrorMapping = tuple[int, FieldOf] | tuple[int, FieldOf, str]


def map_errors(app: Flask, table: dict[type[Exception], ErrorMapping]) -> None:
    """Answer domain exceptions as JSON errors: ``{ExcType: (status, field[, hint])}``.

    An exception with a ``field`` attribute names its own field; else ``field`` does (or,
    when it is a function, what it returns for the exception). A ``hint`` (what to call
    instead, say: domain messages name no routes) is added to the end of a message that has
    no key of its own (a keyed one says what to do in its template). The
    exception's ``details`` dict, when it has one, adds keys to the answer (the faces to
    choose from, say). The most specific class in the table answers.
    """
    for exc_type, (status, default, *hint) in table.items():

        def handler(
            exc: Exception, status: int = status, default: FieldOf = default, hint: list[str] = hint
        ) -> tuple[Response, int]:
            field = getattr(exc, "field", None) or (default(exc) if callable(default) else default)
            message = message_of(exc)
            if hint and message.key == "text":  # (a keyed message says what to do itself)
                message = Message("text", {"text": str(message) + hint[0]})
            return error_response(status, message, field, getattr(exc, "details", None))

        app.register_error_handler(exc_type, handler)


def install_error_handlers(app: Flask) -> None:
    """Every error, including Flask's own 404/405/413 and unexpected faults, answers JSON."""

    @app.errorhandler(ApiError)
    def _api_error(exc: ApiError) -> tuple[Response, int]:
        return error_response(exc.status, exc.keyed, exc.field)

    @app.errorhandler(RequestEntityTooLarge)
    def _too_large(exc: RequestEntityTooLarge) -> tuple[Response, int]:
        # the request's own limit when an endpoint raised it (an image upload, say)
        limit = request.max_content_length or app.config.get("MAX_CONTENT_LENGTH")
        return error_response(
            413, msg("error.body_too_large", limit=limit or MAX_BODY_BYTES), "body"
        )

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> tuple[Response, int]:
        code = exc.code or 500
        message = msg("error.http", detail=exc.description or exc.name)
        if code == 404:
            message = msg("error.not_found", path=request.path)
        resp, status = error_response(code, message)
        if isinstance(exc, MethodNotAllowed) and exc.valid_methods:
            resp.headers["Allow"] = ", ".join(exc.valid_methods)
        return resp, status

    @app.errorhandler(Exception)
    def _fault(exc: Exception) -> tuple[Response, int]:
        log.exception("unhandled error on %s %s", request.method, request.path)
        return error_response(500, msg("error.internal"))


def install_request_id(app: Flask) -> None:
    """Echo or assign ``X-Request-ID`` so a client's log line can be matched to ours."""

    prefix = f"{os.getpid():x}-{uuid.uuid4().hex[:6]}-"
    counter = itertools.count(1)

    @app.before_request
    def _assign() -> None:
        rid = request.headers.get("X-Request-ID", "")
        g.request_id = rid[:64] if rid else f"{prefix}{next(counter):x}"

    @app.after_request
    def _echo(resp: Response) -> Response:
        rid = getattr(g, "request_id", None)
        if rid:
            resp.headers["X-Request-ID"] = rid
        return resp


def presented_key() -> str | None:
    """The key a request carries: ``X-API-Key`` or ``Authorization: Bearer <key>``."""
    key = request.headers.get("X-API-Key")
    if key:
        return key
    auth = request.headers.get("Authorization", "")
    if auth.lower().startswith("bearer "):
        return auth[7:].strip() or None
    return None


def _matches(given: str | None, expected: str | None) -> bool:
    if not given or not expected:
        return False
    return hmac.compare_digest(given.encode(), expected.encode())


def install_api_key_check(
    app: Flask, security: SecurityConfig, is_open: Callable[[str, str], bool]
) -> None:
    """Require a key on every request ``is_open(method, path)`` does not exempt.

    Writes (anything but GET/HEAD/OPTIONS) need the write key; reads accept the read key or
    the write key. Wrong or missing keys get 401 JSON and change nothing.
    """
    if not security.api_key_enabled:
        return

    @app.before_request
    def _check_key() -> tuple[Response, int] | None:
        if request.method == "OPTIONS" or is_open(request.method, request.path):
            return None
        given = presented_key()
        write_ok = _matches(given, security.api_key)
        if request.method in ("GET", "HEAD"):
            if write_ok or _matches(given, security.read_api_key):
                return None
        elif write_ok:
            return None
        key = "error.api_key_missing" if given is None else "error.api_key_wrong"
        resp, status = error_response(401, msg(key), "X-API-Key")
        resp.headers["WWW-Authenticate"] = 'Bearer realm="ar-live-studio"'
        return resp, status


def install_cors(app: Flask, cors: CorsConfig) -> None:
    """CORS for a configured list of origins only (never a wildcard unless listed)."""
    if not cors.enabled:
        return
    from flask_cors import CORS

    CORS(
        app,
        origins=list(cors.origins),
        allow_headers=["Content-Type", "X-API-Key", "Authorization", "X-Request-ID"],
        expose_headers=["X-Request-ID"],
        max_age=600,
    )


def _is_json_mimetype(mimetype: str) -> bool:
    return mimetype == "application/json" or (
        mimetype.startswith("application/") and mimetype.endswith("+json")
    )


def json_text(required: bool = True) -> str:
    """The request's body as checked UTF-8 text ('' when empty and not required).

    A body must be sent as ``application/json`` (415 otherwise): a web page can send other
    types without a CORS preflight, JSON only after one.
    """
    raw = request.get_data(cache=True)
    if not raw.strip():
        if required:
            raise ApiError(400, "request body must be a JSON object", "body")
        return ""
    if not _is_json_mimetype(request.mimetype):
        raise ApiError(
            415,
            f"send the body as Content-Type: application/json (not {request.mimetype or 'none'})",
            "Content-Type",
        )
    try:
        return strictjson.decode(raw)
    except strictjson.BadJson as exc:
        raise ApiError(400, str(exc), exc.field) from None


def json_body(required: bool = True) -> Any:
    """The request's JSON body, strictly checked (:mod:`shared.strictjson`); 400 naming the
    field when it is missing, malformed, too deep, infinite or holds U+0000."""
    text = json_text(required)
    if not text:
        return {}
    try:
        return strictjson.loads(text)
    except strictjson.BadJson as exc:
        raise ApiError(400, str(exc), exc.field) from None


def validation_error(exc: ValidationError, prefix: str = "") -> ApiError:
    """Turn the first pydantic error into a 400 naming the field (``resources.cpu_percent``)."""
    err = exc.errors()[0]
    loc = ".".join(str(part) for part in err["loc"])
    field = f"{prefix}{loc}" if loc else (prefix.rstrip(".") or "body")
    detail = err["msg"]
    if err["type"] == "missing":
        detail = "field required"
    return ApiError(400, msg("error.field", field=field, detail=detail), field)


def parse_body(model: type[M], required: bool = True) -> M:
    """Parse and validate the JSON body as ``model``; 400 naming the field otherwise."""
    return parse_body_raw(model, required)[0]


def parse_body_raw(model: type[M], required: bool = True) -> tuple[M, dict[str, Any]]:
    """Like :func:`parse_body`, also returning the body as sent (a dict)."""
    data = json_body(required)
    if not isinstance(data, dict):
        raise ApiError(400, "request body must be a JSON object", "body")
    try:
        return model.model_validate(data), data
    except ValidationError as exc:
        raise validation_error(exc) from exc


def parse_query(model: type[M]) -> M:
    """Validate the query string as ``model`` (text coerced to numbers); 400 naming the
    parameter. Parameters the model does not name are ignored (a browser's cache-buster)."""
    args = request.args.to_dict()
    for name, value in args.items():
        if "\x00" in value or "\x00" in name:
            raise ApiError(400, f"{name} holds the character U+0000", name)
    try:
        return model.model_validate(args)
    except ValidationError as exc:
        raise validation_error(exc) from exc


def answer(model: BaseModel, status: int = 200) -> tuple[Response, int]:
    """The response for an answer built as its :mod:`shared.wire` model (the one the OpenAPI
    document declares and the clients read): the fields the producer set, under the names
    the wire uses (aliases: ``from``), with ``status``. The app's JSON encoder writes it, as
    any answer (a node's payload may hold text JSON escapes but UTF-8 cannot carry)."""
    body = model.model_dump(by_alias=True, exclude_unset=True)
    return jsonify(body), status


def wants_prometheus() -> bool:
    """True when the Accept header prefers a Prometheus text format over JSON.

    A Prometheus scrape names ``application/openmetrics-text`` and ``text/plain`` (with
    version parameters); browsers and curl send ``*/*`` or ``text/html``, and get JSON.
    """
    json_q = prom_q = 0.0
    for part in request.headers.get("Accept", "").split(","):
        fields = [f.strip() for f in part.split(";")]
        mime = fields[0].lower()
        q = 1.0
        for param in fields[1:]:
            if param.startswith("q="):
                try:
                    q = float(param[2:])
                except ValueError:
                    q = 0.0
        if mime in ("application/openmetrics-text", "text/plain"):
            prom_q = max(prom_q, q)
        elif mime in ("application/json", "application/*", "*/*", ""):
            json_q = max(json_q, q)
    return prom_q > json_q
