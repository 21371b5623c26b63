"""A local HTTP server serving files the test makes (Range, and switches to drop the
connection halfway, ignore Range, answer 404), and a manifest written for them."""

from __future__ import annotations

import hashlib
import http.server
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.cli import Exited, run_module
from tests.procs import STOP_POLL_S


class Server:
    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.drop_once: set[str] = set()  # close the connection halfway, once
        self.ignore_range = False
        self.not_found: set[str] = set()
        self.delay = 0.0  # s per 64 KiB sent
        self.requests: list[tuple[str, str | None]] = []  # (path, Range header)
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                rng = self.headers.get("Range")
                server.requests.append((self.path, rng))
                data = server.files.get(self.path)
                if data is None or self.path in server.not_found:
                    self.send_error(404)
                    return
                start = 0
                if rng and not server.ignore_range:
                    start = int(rng.split("=")[1].split("-")[0])
                    self.send_response(206)
                    self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
                else:
                    self.send_response(200)
                body = data[start:]
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.path in server.drop_once:
                    server.drop_once.discard(self.path)
                    self.wfile.write(body[: len(body) // 2])
                    self.wfile.flush()
                    self.close_connection = True
                    return
                import time

                for i in range(0, len(body), 1 << 16):
                    self.wfile.write(body[i : i + (1 << 16)])
                    if server.delay:
                        time.sleep(server.delay)

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": STOP_POLL_S}, daemon=True
        )
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server() -> Iterator[Server]:
    srv = Server()
    yield srv
    srv.close()


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture
def write_manifest(tmp_path: Path) -> Callable[..., Path]:
    """``write_manifest({name: [file dict, ...]})``: a manifest at tmp/models.yaml."""

    def _write(models: dict[str, list[dict[str, Any]]]) -> Path:
        data = {
            "models": {
                name: {
                    "description": f"test model {name}",
                    "licence": "test only",
                    "used_by": ["tests"],
                    "files": [{"hash_source": "computed by the test", **f} for f in files],
                }
                for name, files in models.items()
            }
        }
        path = tmp_path / "models.yaml"
        path.write_text(yaml.safe_dump(data))
        return path

    return _write


def weights_cli(*args: str) -> Exited:
    """``python -m ar_backend.weights ARGS`` from the repository, as a user runs it."""
    return run_module("ar_backend.weights", args)
