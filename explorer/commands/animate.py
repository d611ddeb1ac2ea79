"""``conv-explorer animate``: a layer's walk-through as an animated GIF or APNG for slides.

::

    conv-explorer animate SCENE.json --layer N [--image IMG] [--region ROW COL H W]
        [--channel C] [--fps F] [--width PX] [--detail steps|positions] --out FILE.gif|FILE.png

Runs the stack up to layer ``N`` (1 = the first), builds the walk-through of that layer on
the region (rows and columns of the layer's input; default an 8×8 box in the middle) and
writes every step as one frame (a ``.png`` out is an animated PNG). Bad input exits 2 with
one line on stderr.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

__all__ = ["add_parser", "run"]


def _positive(text: str) -> int:
    if not (text.isdigit() and int(text) >= 1):
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text!r}")
    return int(text)


def _count(text: str) -> int:
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"must be an integer ≥ 0, got {text!r}")
    return int(text)


def _rate(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number, got {text!r}") from None
    if not 0.5 <= value <= 50:
        raise argparse.ArgumentTypeError(f"must be between 0.5 and 50, got {text!r}")
    return value


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Add ``animate`` to the command line's subparsers."""
    text = "write a layer's walk-through as an animated GIF or APNG"
    p = subparsers.add_parser("animate", help=text, description=text)
    p.add_argument(
        "--debug",
        action="store_true",
        default=argparse.SUPPRESS,
        help="show the full traceback of an unexpected error",
    )
    p.add_argument("scene", metavar="SCENE.json", help="the scene file")
    p.add_argument(
        "--layer",
        type=_positive,
        required=True,
        metavar="N",
        help="the layer to walk through (1 = the first)",
    )
    p.add_argument("--image", metavar="IMG", help="use this image instead of the scene's")
    p.add_argument(
        "--region",
        nargs=4,
        type=_count,
        metavar=("ROW", "COL", "H", "W"),
        help="region of the layer's input (default: 8×8 in the middle)",
    )
    p.add_argument(
        "--channel",
        type=_count,
        default=0,
        metavar="C",
        help="output channel to follow (default 0)",
    )
    p.add_argument(
        "--fps", type=_rate, default=4.0, metavar="F", help="frames per second (default 4)"
    )
    p.add_argument(
        "--width",
        type=_positive,
        default=960,
        metavar="PX",
        help="frame width in pixels, height 9/16 of it (default 960)",
    )
    p.add_argument(
        "--detail",
        choices=("steps", "positions"),
        default="steps",
        help="every step (default) or one frame per output position",
    )
    p.add_argument("--out", required=True, metavar="FILE", help="FILE.gif, or FILE.png (APNG)")
    return p


def _walk(args: argparse.Namespace) -> tuple[Any, str]:
    from dataclasses import replace

    from explorer.core.analysis.walkthrough import Region, build_walk
    from explorer.core.compute.run import run_stack
    from explorer.core.errors import SceneError, SpecError
    from explorer.core.io.inputs import resolve_input
    from explorer.core.io.scene import load_scene, validate_scene

    scene = load_scene(Path(args.scene))
    if args.image:
        image = str(Path(args.image).expanduser().resolve())
        scene = replace(scene, input=replace(scene.input, image=image, shape=None))
    name = Path(args.scene).name
    if args.layer > len(scene.layers):
        raise SpecError(
            f"{name}: --layer {args.layer}: the scene has {len(scene.layers)} "
            f"layer{'s' if len(scene.layers) != 1 else ''}"
        )
    try:
        validate_scene(replace(scene, layers=scene.layers[: args.layer]))
    except SceneError as exc:
        raise SceneError(f"{name}: {exc}") from None
    import torch

    torch.set_num_threads(max(1, (os.cpu_count() or 2) - 1))
    image = resolve_input(scene.input, seed=scene.seed)
    results = list(run_stack(scene.layers[: args.layer], image, seed=scene.seed))
    x = image if args.layer == 1 else results[-2].output
    spec = scene.layers[args.layer - 1]
    region = Region(*args.region) if args.region else None
    try:
        walk = build_walk(
            spec,
            x,
            results[-1].weights,
            region=region,
            out_channel=args.channel,
            detail=args.detail,
        )
    except SpecError as exc:
        raise SpecError(f"layer {args.layer} ({spec.kind}): {exc}") from None
    return walk, f"Layer {args.layer} · {spec.kind}"


def run(args: argparse.Namespace) -> int:
    """Write the animation; print its path and frame count."""
    from explorer.core.errors import ExplorerError

    out = Path(args.out)
    if out.suffix.lower() not in (".gif", ".png", ".apng"):
        raise ExplorerError(f"--out {out.name}: must end in .gif or .png (animated PNG)")
    if not out.parent.is_dir():
        raise ExplorerError(f"--out {out}: the folder {out.parent} does not exist")
    if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from explorer.ui.tools.walkthrough.walkthrough_export import (
        MAX_WIDTH,
        MIN_WIDTH,
        save_animation,
    )

    if not MIN_WIDTH <= args.width <= MAX_WIDTH:
        raise ExplorerError(
            f"--width: width {args.width} px is out of range ({MIN_WIDTH}–{MAX_WIDTH})"
        )
    walk, title = _walk(args)
    from PySide6.QtGui import QGuiApplication

    app = QGuiApplication.instance() or QGuiApplication([sys.argv[0]])
    save_animation(walk, out, width=args.width, fps=args.fps, title=title)
    del app
    print(
        f"{out} ({len(walk.steps)} frames, {args.width}×{round(args.width * 9 / 16)}, "
        f"{args.fps:g} fps)"
    )
    return 0
