"""``conv-explorer import MODEL [--input-shape C H W] [--layers N] --out SCENE.json``.

Reads an ONNX or TFLite model, takes the longest prefix of it the stack can represent
exactly (or its first N layers), and writes a scene whose weights reference the model file.
Prints how many layers were imported and where and why the import stopped.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path
from typing import Any

from explorer.commands import positive_int

__all__ = ["add_parser", "run"]

HELP = "make a scene from the first layers of a trained ONNX or TFLite model"


def add_parser(subparsers: Any, parents: list[argparse.ArgumentParser] | None = None) -> None:
    p = subparsers.add_parser("import", parents=parents or [], help=HELP, description=HELP)
    p.add_argument("model", metavar="MODEL", help="an .onnx or .tflite file")
    p.add_argument(
        "--input-shape",
        nargs=3,
        type=positive_int,
        metavar=("C", "H", "W"),
        help="the input to import on (needed when the model's is dynamic)",
    )
    p.add_argument(
        "--layers",
        type=positive_int,
        metavar="N",
        help="take at most N layers (default: as many as can be represented)",
    )
    p.add_argument("--out", required=True, metavar="SCENE.json", help="the scene file to write")
    p.add_argument("--image", metavar="IMG", help="the scene's input image (default: a sample)")
    p.add_argument(
        "--input-range",
        nargs=2,
        type=float,
        metavar=("LO", "HI"),
        help="the range the model expects images in, e.g. -1 1 (default 0 1)",
    )
    p.add_argument(
        "--mean",
        nargs="+",
        type=float,
        metavar="M",
        help="per-channel mean: images become (x - mean)/std, x in [0, 1]",
    )
    p.add_argument("--std", nargs="+", type=float, metavar="S", help="per-channel std")
    p.set_defaults(handler=run)


def _normalize(args: argparse.Namespace) -> tuple[tuple[float, ...], tuple[float, ...]] | None:
    from explorer.core.errors import SceneError

    if args.input_range is not None and (args.mean or args.std):
        raise SceneError("give either --input-range or --mean/--std, not both")
    if args.input_range is not None:
        lo, hi = args.input_range
        if not (math.isfinite(lo) and math.isfinite(hi) and hi > lo):
            raise SceneError(f"--input-range needs LO < HI, got {lo:g} {hi:g}")
        return (-lo / (hi - lo),), (1 / (hi - lo),)
    if args.mean or args.std:
        if not (args.mean and args.std) or len(args.mean) != len(args.std):
            raise SceneError("--mean and --std need the same number of values")
        if any(s == 0 or not math.isfinite(s) for s in args.std):
            raise SceneError("--std values must be finite and not 0")
        return tuple(args.mean), tuple(args.std)
    return None


def run(args: argparse.Namespace) -> int:
    from explorer.core.io.importers import import_model, to_scene
    from explorer.core.io.scene import save_scene

    normalize = _normalize(args)
    shape = tuple(args.input_shape) if args.input_shape else None
    result = import_model(args.model, shape, None)  # all it can, to report where it stops
    count = len(result.layers) if args.layers is None else min(args.layers, len(result.layers))
    image = str(Path(args.image).resolve()) if args.image else None
    scene = to_scene(result, layers=count, image=image, normalize=normalize)
    save_scene(scene, args.out)
    c, h, w = result.input_shape
    print(f"imported {count} layer(s) of {args.model} on a {c}×{h}×{w} input into {args.out}")
    last = result.layers[count - 1]
    print(f"last layer's output equals the model's tensor {last.output!r}")
    if normalize is None and result.graph.input_range is not None:
        mean, std = (", ".join(f"{v:.4g}" for v in values) for values in result.graph.input_range)
        print(
            f"input range from the model's metadata: images in [0, 1] become "
            f"(x - [{mean}]) / [{std}]"
        )
    if count < len(result.layers):
        print(f"stopped after {count} layer(s), as asked ({len(result.layers)} can be imported)")
    print(
        f"the import can go no further than {len(result.layers)} layer(s): "
        f"stopped at {result.stop.describe()}"
    )
    return 0
