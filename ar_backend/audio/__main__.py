"""``python -m ar_backend.audio process IN.wav OUT.wav --effect TYPE[:key=value,...] ...``

Runs the live effect chain offline, block by block as the stream would, so a preset can be
heard before going live: ``--effect pitch:semitones=12 --effect echo:delay_ms=250``.
``python -m ar_backend.audio effects`` lists the effect types and their parameters.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

import numpy as np

from ar_backend.audio.chain import EffectChain
from ar_backend.audio.effects import REGISTRY, EffectError
from ar_backend.audio.wavio import read_wav, write_wav
from shared.registry import UnknownName


def parse_effect(text: str) -> dict[str, Any]:
    """``pitch:semitones=12,window_ms=40`` -> {"type": "pitch", "params": {...}}."""
    effect_type, _, rest = text.partition(":")
    params: dict[str, Any] = {}
    for item in filter(None, rest.split(",")):
        key, sep, value = item.partition("=")
        if not sep:
            raise EffectError(f"{text!r}: parameters are key=value", "params")
        word = value.strip().lower()
        if word in ("true", "false"):  # a switch: preserve_formants=false
            params[key.strip()] = word == "true"
            continue
        try:
            params[key.strip()] = float(value)
        except ValueError:
            params[key.strip()] = value.strip()
    return {"type": effect_type.strip(), "params": params}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ar_backend.audio", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    proc = sub.add_parser("process", help="run an effect chain over a WAV file")
    proc.add_argument("input")
    proc.add_argument("output")
    proc.add_argument("--effect", action="append", default=[], help="TYPE[:key=value,...]")
    proc.add_argument("--block", type=int, default=480, help="frames per block (480)")
    sub.add_parser("effects", help="list effect types and parameters")
    args = parser.parse_args(argv)

    if args.command == "effects":
        for name, cls in sorted(REGISTRY.items()):
            fields = ", ".join(f"{k}={f.default}" for k, f in cls.Params.model_fields.items())
            print(f"{name}: {fields}")
        return 0
    try:
        samples, rate = read_wav(args.input)
    except (OSError, ValueError, EOFError) as exc:
        print(f"cannot read {args.input}: {exc}", file=sys.stderr)
        return 2
    chain = EffectChain(rate, samples.shape[1])
    try:
        chain.set_chain([parse_effect(e) for e in args.effect])
    except (EffectError, UnknownName) as exc:
        print(f"bad effect ({exc.field}): {exc}", file=sys.stderr)
        return 2
    blocks = [
        chain.process(samples[i : i + args.block]) for i in range(0, len(samples), args.block)
    ]
    out = np.concatenate(blocks) if blocks else samples
    write_wav(args.output, out, rate)
    names = " -> ".join(e.type for e in chain.describe()) or "no effect"
    print(
        f"{args.output}: {len(out) / rate:.2f} s at {rate} Hz, {names}, "
        f"latency {chain.latency_ms} ms"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
