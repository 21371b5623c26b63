"""The crop <-> tensor conversions give exactly what the models' authors compute with numpy
(facefusion: RGB, ``(x / 255 - 0.5) / 0.5``, NCHW in; clip to -1..1, ``(y + 1) / 2 * 255``,
rounded, BGR out)."""

from __future__ import annotations

import numpy as np

from ar_backend.face.imaging.tensors import from_signed, signed_blob


def test_a_crop_becomes_the_authors_tensor() -> None:
    crop = np.random.default_rng(0).integers(0, 256, (64, 48, 3), dtype=np.uint8)
    rgb = crop[:, :, ::-1].astype(np.float32) / 255.0
    expected = ((rgb - 0.5) / 0.5).transpose(2, 0, 1)[None]
    blob = signed_blob(crop)
    assert blob.shape == (1, 3, 64, 48) and blob.dtype == np.float32
    assert np.abs(blob - expected).max() < 1e-6
    assert signed_blob(crop, np.float16).dtype == np.float16  # fp16 models take fp16


def test_an_output_becomes_the_authors_crop_clipped() -> None:
    out = np.random.default_rng(1).uniform(-1.7, 1.7, (3, 40, 40)).astype(np.float32)
    restored = (np.clip(out, -1.0, 1.0) + 1.0) / 2.0
    expected = np.rint(restored.transpose(1, 2, 0) * 255.0).astype(np.uint8)[:, :, ::-1]
    got = from_signed(out)
    assert got.dtype == np.uint8 and got.shape == (40, 40, 3)
    assert np.array_equal(got, expected)
    assert from_signed(out.astype(np.float16)).shape == (40, 40, 3)
