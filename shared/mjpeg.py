"""Reading an MJPEG stream (multipart/x-mixed-replace) over a plain socket, chunked or not.

Used by the GUI's preview reader and by tests; it only parses, the caller decodes.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any, BinaryIO
from urllib.parse import urlsplit


class Dechunk:
    """An HTTP/1.1 chunked body read as a plain stream (readline, read)."""

    def __init__(self, stream: BinaryIO) -> None:
        self._stream = stream
        self._buf = b""

    def _fill(self) -> None:
        size = int(self._stream.readline().split(b";")[0].strip() or b"0", 16)
        if size == 0:
            raise EOFError("the stream ended")
        self._buf += self._stream.read(size)
        self._stream.readline()  # the CRLF after the chunk

    def readline(self) -> bytes:
        while b"\n" not in self._buf:
            self._fill()
        line, _, self._buf = self._buf.partition(b"\n")
        return line + b"\n"

    def read(self, n: int) -> bytes:
        while len(self._buf) < n:
            self._fill()
        out, self._buf = self._buf[:n], self._buf[n:]
        return out


def _headers(stream: Any) -> dict[str, str]:
    headers: dict[str, str] = {}
    while (line := stream.readline().strip()) != b"":
        key, _, value = line.decode(errors="replace").partition(":")
        headers[key.strip().lower()] = value.strip()
    return headers


def open_stream(url: str, timeout: float = 5.0, rcvbuf: int | None = None) -> socket.socket:
    """Connect and send the GET; ``rcvbuf`` fixes the receive buffer (a constrained viewer)."""
    parts = urlsplit(url)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if rcvbuf:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    sock.settimeout(timeout)
    try:
        sock.connect((parts.hostname, parts.port or 80))
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: {parts.netloc}\r\n\r\n".encode())
    except OSError:
        sock.close()
        raise
    return sock


def iter_parts(sock: socket.socket) -> Iterator[tuple[dict[str, str], bytes]]:
    """(part headers, JPEG bytes) for each part; ValueError when it is not an MJPEG stream."""
    stream = sock.makefile("rb")
    status = stream.readline()
    if b" 200 " not in status:
        raise ValueError(f"stream not available ({status.decode(errors='replace').strip()})")
    head = _headers(stream)
    if not head.get("content-type", "").startswith("multipart/x-mixed-replace"):
        raise ValueError(f"not an MJPEG stream: {head.get('content-type')}")
    body: Any = Dechunk(stream) if head.get("transfer-encoding") == "chunked" else stream
    while True:
        line = body.readline()
        while line.strip() == b"":
            line = body.readline()
        if not line.startswith(b"--"):
            raise ValueError("lost the part boundary")
        headers = _headers(body)
        yield headers, body.read(int(headers["content-length"]))
