"""``conv-explorer fit``: train a scene's stack toward a target and save the fitted scene.

::

    conv-explorer fit SCENE.json --target TARGET [--image IMG | --input-shape C H W]
        [--steps N] [--lr LR] [--seed S] [--optimizer adam|sgd] [--momentum M]
        [--loss mse|l1] [--freeze N ...] [--no-bias] [--float64] --out FITTED.json [--json]

Progress goes to stderr; with ``--json`` stdout is one JSON object. The fitted scene holds
the trained weights inline and a ``"fit"`` record of the target and the losses. Options left
out come from the scene's own ``"fit"`` record (a lesson slide's), then the defaults.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

__all__ = ["add_parser", "run"]


def _positive_int(text: str) -> int:
    if not (text.isdigit() and int(text) >= 1):
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text!r}")
    return int(text)


def _seed(text: str) -> int:
    if not (text.isdigit() and int(text) < 2**32):
        raise argparse.ArgumentTypeError(f"must be an integer 0..{2**32 - 1}, got {text!r}")
    return int(text)


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"must be a positive number, got {text!r}")
    return value


def add_parser(subparsers: Any, parents: list[argparse.ArgumentParser] | None = None) -> Any:
    """Add the ``fit`` command to ``subparsers``."""
    text = "train the stack toward a target (gray, sobel-x, scene:PATH …) and save it"
    p = subparsers.add_parser("fit", parents=parents or [], help=text, description=text)
    p.add_argument("scene", metavar="SCENE.json", help="the scene file")
    p.add_argument(
        "--target",
        metavar="TARGET",
        help="gray, ycbcr, sobel-x, sobel-y, gaussian:SIGMA, laplacian, box:K, scene:PATH or "
        "npy:PATH (default: the scene's own fit target)",
    )
    group = p.add_mutually_exclusive_group()
    group.add_argument("--image", metavar="IMG", help="use this image instead of the scene's")
    group.add_argument(
        "--input-shape",
        nargs=3,
        type=_positive_int,
        metavar=("C", "H", "W"),
        help="use a random tensor of this shape (drawn with the scene's seed)",
    )
    p.add_argument("--steps", type=_positive_int, metavar="N", help="optimiser steps (300)")
    p.add_argument("--lr", type=_positive_float, metavar="LR", help="learning rate (0.01)")
    p.add_argument(
        "--seed",
        type=_seed,
        metavar="S",
        help="start the trained layers from random weights drawn with this seed "
        "(default: from the scene's weights)",
    )
    p.add_argument("--optimizer", choices=("adam", "sgd"), help="adam (default) or sgd")
    p.add_argument("--momentum", type=float, metavar="M", help="SGD momentum (0.9)")
    p.add_argument("--loss", choices=("mse", "l1"), help="mse (default) or l1")
    p.add_argument(
        "--freeze",
        type=_positive_int,
        nargs="+",
        metavar="N",
        default=[],
        help="layers (1-based) that keep their weights",
    )
    p.add_argument("--no-bias", action="store_true", help="biases keep their values")
    p.add_argument("--float64", action="store_true", help="train in double precision")
    p.add_argument("--out", metavar="FITTED.json", required=True, help="the fitted scene")
    p.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    return p


def _scene(args: argparse.Namespace) -> Any:
    from explorer.core.io.inputs import resolve_input
    from explorer.core.io.scene import InputSpec, load_scene

    scene = load_scene(Path(args.scene))
    if args.input_shape:
        scene = replace(scene, input=InputSpec(shape=tuple(args.input_shape)))
    elif args.image:
        image = str(Path(args.image).expanduser().resolve())
        scene = replace(scene, input=replace(scene.input, image=image, shape=None))
    return scene, resolve_input(scene.input, seed=scene.seed)


def _options(args: argparse.Namespace, record: Any, count: int) -> Any:
    from explorer.core.compute.fit_options import FitOptions
    from explorer.core.compute.fit_targets import FitError

    def pick(value: Any, name: str, default: Any) -> Any:
        if value is not None:
            return value
        saved = getattr(record, name, None) if record is not None else None
        return default if saved is None else saved

    bad = [n for n in args.freeze if n > count]
    if bad:
        raise FitError(f"--freeze {bad[0]}: the stack has {count} layer(s)")
    d = FitOptions()
    return FitOptions(
        steps=pick(args.steps, "steps", d.steps),
        lr=pick(args.lr, "lr", d.lr),
        optimizer=pick(args.optimizer, "optimizer", d.optimizer),
        momentum=pick(args.momentum, "momentum", d.momentum),
        loss=pick(args.loss, "loss_function", d.loss),
        frozen=frozenset(n - 1 for n in args.freeze),
        train_bias=not args.no_bias,
        seed=args.seed,
        float64=bool(args.float64 or (record is not None and record.float64)),
    )


def run(args: argparse.Namespace) -> int:
    """Run ``conv-explorer fit``; errors the user can fix raise ``ExplorerError``."""
    from explorer.core.compute.fit import run_fit
    from explorer.core.compute.fit_targets import FitError, prepare_target
    from explorer.core.io.scene import save_scene, validate_scene
    from explorer.core.model.fit_record import FitRecord

    scene, image = _scene(args)
    validate_scene(scene)
    text = args.target or (scene.fit.target if scene.fit is not None else None)
    if not text:
        raise FitError("name a target with --target (the scene has no fit record)")
    options = _options(args, scene.fit, len(scene.layers))
    target_spec, target = prepare_target(text, image, scene.layers)
    every = max(1, options.steps // 10)

    def progress(step: Any) -> None:
        if step.step % every == 0 or step.step == 1:
            print(
                f"step {step.step}/{options.steps}  loss {step.loss:.4g}  "
                f"relative error {step.relative_error:.3g}",
                file=sys.stderr,
                flush=True,
            )

    result = run_fit(scene.layers, image, target, options, seed=scene.seed, on_step=progress)
    record = FitRecord(
        target=target_spec.text,
        optimizer=options.optimizer,
        lr=options.lr,
        momentum=options.momentum if options.optimizer == "sgd" else None,
        steps=options.steps,
        loss_function=options.loss,
        float64=options.float64 or None,
        loss_start=result.loss_start,
        loss_end=result.loss_end,
        relative_error=result.relative_error,
        steps_done=result.steps,
    )
    save_scene(replace(scene, layers=result.layers, fit=record), args.out)
    print(result.message, file=sys.stderr)
    data = {
        "target": target_spec.text,
        "out": str(args.out),
        "loss_start": result.loss_start,
        "loss_end": result.loss_end,
        "relative_error": result.relative_error,
        "steps": result.steps,
        "best_step": result.best_step,
        "seconds": round(result.seconds, 4),
        "reason": result.reason,
        "trained_layers": [i + 1 for i in result.trained],
        "optimizer": options.optimizer,
        "lr": options.lr,
        "loss_function": options.loss,
    }
    if args.json:
        print(json.dumps(data))
    else:
        print(
            f"fitted layer(s) {', '.join(str(i + 1) for i in result.trained)} to "
            f"{target_spec.text}: loss {result.loss_start:.4g} → {result.loss_end:.4g} "
            f"(relative error {result.relative_error:.3g}) in {result.steps} steps, "
            f"{result.seconds:.2f} s; wrote {args.out}"
        )
    return 0
