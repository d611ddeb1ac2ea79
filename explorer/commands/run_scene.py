"""``conv-explorer run SCENE.json (--input X.npy | --image IMG | --input-shape C H W)
--out Y.npy [--all]``.

Runs the stack and writes the last layer's output as float32 ``(C, H, W)``; with ``--all``
an ``.npz`` with every layer's output (``layer1``, ``layer2``, ...). ``--input`` takes a
float32 ``(C, H, W)`` or ``(1, C, H, W)`` array as it is (no normalisation); ``--image``
is loaded at the scene's size and normalised as the scene says; ``--input-shape`` is a
seeded random tensor.
"""

from __future__ import annotations

import argparse
import os
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from explorer.commands import positive_int
from explorer.core.text import shape_text

__all__ = ["add_parser", "load_input_array", "run"]

HELP = "run the stack and save its output as a NumPy file"
#: Largest --input file read, in bytes.
MAX_INPUT_BYTES = 2 * 1024**3


def add_parser(subparsers: Any, parents: list[argparse.ArgumentParser] | None = None) -> None:
    p = subparsers.add_parser("run", parents=parents or [], help=HELP, description=HELP)
    p.add_argument("scene", metavar="SCENE.json", help="the scene file")
    group = p.add_mutually_exclusive_group(required=True)
    group.add_argument("--input", metavar="X.npy", help="a float32 (C, H, W) array, used as it is")
    group.add_argument("--image", metavar="IMG", help="an image, normalised as the scene says")
    group.add_argument(
        "--input-shape",
        nargs=3,
        type=positive_int,
        metavar=("C", "H", "W"),
        help="a seeded random tensor of this shape",
    )
    p.add_argument("--out", required=True, metavar="Y.npy", help="where to write the output")
    p.add_argument("--all", action="store_true", help="write every layer's output as an .npz")
    p.set_defaults(handler=run)


def load_input_array(path: str) -> np.ndarray:
    """A float32 ``(C, H, W)`` array from an ``.npy`` file (never a pickle).

    Raises
    ------
    SceneError
        One line naming the file: missing, not .npy, not 3-D (or 4-D with N = 1), not real
        numbers, or not finite.
    """
    from explorer.core.errors import SceneError

    try:
        if os.path.getsize(path) > MAX_INPUT_BYTES:
            raise SceneError(f"{path}: refused, larger than {MAX_INPUT_BYTES // 1024**3} GiB")
        array = np.load(path, allow_pickle=False)
    except FileNotFoundError:
        raise SceneError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise SceneError(f"{path}: is a folder, not a .npy file") from None
    except (ValueError, OSError, EOFError) as exc:
        raise SceneError(
            f"{path}: not a NumPy .npy array ({' '.join(str(exc).split())[:100]})"
        ) from None
    if not isinstance(array, np.ndarray):
        raise SceneError(f"{path}: holds several arrays (.npz); give one (C, H, W) array")
    if array.ndim == 4 and array.shape[0] == 1:
        array = array[0]
    if array.ndim != 3 or 0 in array.shape:
        raise SceneError(f"{path}: shape {list(array.shape)} is not (C, H, W) or (1, C, H, W)")
    if array.dtype.kind not in "fiu":
        raise SceneError(f"{path}: holds {array.dtype}, not real numbers")
    array = np.ascontiguousarray(array, dtype=np.float32)
    if not np.all(np.isfinite(array)):
        raise SceneError(f"{path}: holds NaN or infinite values")
    return array


def run(args: argparse.Namespace) -> int:
    import torch

    from explorer.core.compute.run import run_stack
    from explorer.core.errors import SceneError, SpecError
    from explorer.core.io.inputs import resolve_input
    from explorer.core.io.scene import load_scene, validate_scene

    torch.set_num_threads(max(1, min(4, os.cpu_count() or 1)))
    scene = load_scene(args.scene, memory=False)
    name = Path(args.scene).name
    if args.input is not None:
        image = load_input_array(args.input)
        scene = replace(scene, input=replace(scene.input, shape=tuple(image.shape), image=None))
    elif args.image is not None:
        scene = replace(
            scene, input=replace(scene.input, image=str(Path(args.image).resolve()), shape=None)
        )
        image = None
    else:
        scene = replace(scene, input=replace(scene.input, shape=tuple(args.input_shape)))
        image = None
    try:
        validate_scene(scene)
        if image is None:
            image = resolve_input(scene.input, seed=scene.seed)
        outputs = [r.output for r in run_stack(scene.layers, image, seed=scene.seed, device="cpu")]
    except (SceneError, SpecError) as exc:
        raise SceneError(f"{name}: {exc}") from None
    if not outputs:
        raise SceneError(f"{name}: the stack has no layers to run")
    out = Path(args.out)
    try:
        if args.all:
            with open(out, "wb") as handle:
                np.savez(handle, **{f"layer{i + 1}": o for i, o in enumerate(outputs)})
        else:
            with open(out, "wb") as handle:
                np.save(handle, np.ascontiguousarray(outputs[-1], dtype=np.float32))
    except OSError as exc:
        raise SceneError(f"{out}: cannot write ({exc.strerror or exc})") from None
    shape = shape_text(outputs[-1].shape)
    print(f"ran {len(outputs)} layer(s); wrote {'every output' if args.all else shape} to {out}")
    return 0
