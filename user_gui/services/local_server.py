"""LocalHTTPServer on 5502: /health, /status, /stats (docs/contracts.md); JSON 404 otherwise."""

from __future__ import annotations

import json
import logging
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from shared.crosssite import HostGuard
from shared.timeutil import utc_now_iso
from user_gui import SERVICE_NAME, __version__
from user_gui.services.reporter import StatusReporter

log = logging.getLogger(__name__)
_GUARD = HostGuard([], [])  # read-only server: only the Host check (DNS rebinding) applies


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    server_version = "user-gui"

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("local server: " + format, *args)

    def _send(self, code: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        if code >= 400:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """The stdlib's own refusals (414, 431, 501, 400) in the services' JSON envelope."""
        phrase = HTTPStatus(code).phrase if code in HTTPStatus._value2member_map_ else "Error"
        self.log_error("code %d, message %s", code, message)
        if not hasattr(self, "command") or self.command is None:
            self.command = ""
        self._send(
            code,
            {
                "error": phrase,
                "message": message or phrase,
                "code": code,
                "timestamp": utc_now_iso(),
            },
        )

    def do_GET(self) -> None:
        reporter = self.server.reporter
        path = self.path.split("?", 1)[0]
        problem = _GUARD.host_problem(self.headers.get("Host"))
        if problem is not None:
            self._send(
                400, {"error": "Bad Request", "message": problem, "field": "Host", "code": 400}
            )
        elif path == "/health":
            self._send(
                200,
                {
                    "status": "healthy",
                    "service": SERVICE_NAME,
                    "version": __version__,
                    "timestamp": utc_now_iso(),
                },
            )
        elif path == "/status":
            self._send(200, reporter.status())
        elif path == "/stats":
            self._send(200, reporter.stats())
        else:
            self._send(
                404,
                {"error": "Not Found", "message": f"no such resource: {path}", "code": 404},
            )

    def do_HEAD(self) -> None:
        self.do_GET()

    def _read_only(self) -> None:
        self._send(
            405,
            {
                "error": "Method Not Allowed",
                "message": "this server only answers GET",
                "code": 405,
            },
        )

    do_POST = do_PUT = do_DELETE = do_PATCH = _read_only


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], reporter: StatusReporter) -> None:
        super().__init__(address, _Handler)
        self.reporter = reporter


class LocalHTTPServer:
    """Owner of the server thread; ``start()`` binds (raises OSError naming the port)."""

    def __init__(self, reporter: StatusReporter, host: str = "127.0.0.1", port: int = 5502):
        self.reporter = reporter
        self.host = host
        self.port = port
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> None:
        if self._server is not None:
            return
        self._server = _Server((self.host, self.port), self.reporter)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="local-server", daemon=True
        )
        self._thread.start()
        log.info("local status server on %s", self.url)

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
