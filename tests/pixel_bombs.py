"""Small files that declare huge pictures: a real PNG (1-bit grey, every row black, so
30000x30000 px is 110 kB on disk and 2.7 GB decoded as colour) and a real video whose frames
are such PNGs (remuxed by PyAV, nothing encoded)."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import av

ROWS_PER_CHUNK = 1000


def _chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(kind + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


def png_declaring(path: Path, width: int, height: int) -> Path:
    """A valid PNG of ``width`` x ``height`` black pixels (1 bit per pixel, grey)."""
    row = b"\x00" * (1 + (width + 7) // 8)  # filter byte + the row's bits
    packer = zlib.compressobj(6)
    parts = [packer.compress(row * ROWS_PER_CHUNK) for _ in range(height // ROWS_PER_CHUNK)]
    parts.append(packer.compress(row * (height % ROWS_PER_CHUNK)))
    parts.append(packer.flush())
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    data = (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", b"".join(parts))
        + _chunk(b"IEND", b"")
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def video_of_png(path: Path, png: Path, frames: int = 3) -> Path:
    """A video (``.mov``, ``.avi``...) whose frames are ``png`` as it is (PNG-coded frames)."""
    with av.open(str(png)) as src, av.open(str(path), "w") as out:
        template = src.streams.video[0]
        stream = out.add_stream_from_template(template)
        packet = next(p for p in src.demux(template) if p.dts is not None)
        for i in range(frames):
            packet.stream = stream
            packet.pts = packet.dts = i
            out.mux(packet)
    return path
