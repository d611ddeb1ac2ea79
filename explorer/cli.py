"""The ``conv-explorer`` command line: open the window, or print costs, figures or code.

::

    conv-explorer [SCENE.json] [--image IMG] [--screenshot OUT.png] [--size W H]   the window
    conv-explorer stats SCENE.json [--image IMG | --input-shape C H W] [--json] [--time]
    conv-explorer render SCENE.json [--image IMG] [--out DIR] [--width PX]
    conv-explorer code SCENE.json [--image IMG | --input-shape C H W]
    conv-explorer import MODEL [--input-shape C H W] [--layers N] --out SCENE.json
    conv-explorer run SCENE.json (--input X.npy | --image IMG | --input-shape C H W) --out Y.npy
    conv-explorer animate SCENE.json --layer N [--region ROW COL H W] --out FILE.gif|FILE.png

The module has no logic of its own: it parses arguments, calls :mod:`explorer.core`
(and :mod:`explorer.ui` for the window and the figures) and turns errors into exit codes.
Nothing heavy is imported at module level, so ``stats`` starts without torch or Qt.

Exit codes: 0 success; 2 for anything the user can fix (a bad file, field or argument),
reported as one line ``conv-explorer: error: MESSAGE``; 1 for a bug (``--debug`` shows the
traceback); 130 when interrupted.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import explorer
from explorer.commands.stats_format import CONVENTIONS, stats_dict, stats_table
from explorer.core.errors import ExplorerError
from explorer.core.warning_policy import install_warning_filters

if TYPE_CHECKING:
    from explorer.core.analysis.costs import StackCost
    from explorer.core.io.scene import Scene

__all__ = ["CONVENTIONS", "build_parser", "main"]

PROG = "conv-explorer"
COMMANDS = ("gui", "stats", "render", "code", "import", "run", "animate", "fit")


class _UsageError(Exception):
    """A command-line usage error: exit 2 with one line."""


class _Parser(argparse.ArgumentParser):
    """An ``ArgumentParser`` whose errors are one line and do not exit by themselves."""

    def error(self, message: str) -> NoReturn:
        raise _UsageError(f"{message} (see '{self.prog} --help')")


def _positive_int(text: str) -> int:
    if not (text.isdigit() and int(text) >= 1):
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text!r}")
    return int(text)


def _window_px(text: str) -> int:
    value = _positive_int(text)
    if not 200 <= value <= 8192:
        raise argparse.ArgumentTypeError(f"must be 200 to 8192 pixels, got {text!r}")
    return value


class _VersionAction(argparse.Action):
    """``--version``: the installed version, looked up only when asked for."""

    def __init__(
        self,
        option_strings: Sequence[str],
        dest: str = argparse.SUPPRESS,
        default: str = argparse.SUPPRESS,
        help: str | None = None,
    ) -> None:  # noqa: A002
        super().__init__(
            option_strings,
            dest,
            nargs=0,
            default=default,
            help=help or "show the program's version number and exit",
        )

    def __call__(self, parser: argparse.ArgumentParser, *_: Any) -> NoReturn:
        print(f"{PROG} {explorer.__version__}")  # on stdout, as argparse's own action
        parser.exit()


def build_parser() -> argparse.ArgumentParser:
    """The parser of every command (``gui`` is implied when no command is named)."""
    common = _Parser(add_help=False)
    common.add_argument(
        "--debug",
        action="store_true",
        default=argparse.SUPPRESS,
        help="show the full traceback of an unexpected error",
    )
    parser = _Parser(
        prog=PROG,
        parents=[common],
        description="See what convolution layers do: feature maps, 1x1 weight matrices and "
        "live params/MACs/FLOPs. With no command, opens the window.",
        epilog="Run 'conv-explorer COMMAND --help' for a command's options.",
    )
    parser.add_argument("--version", action=_VersionAction)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    gui = sub.add_parser("gui", parents=[common], help="open the window (the default)")
    gui.add_argument("scene", nargs="?", metavar="SCENE.json", help="a scene file to open")
    gui.add_argument("--image", metavar="IMG", help="an image to use as the input")
    gui.add_argument(
        "--screenshot",
        metavar="OUT.png",
        help="save a picture of the window once it has run, then quit",
    )
    gui.add_argument(
        "--size",
        nargs=2,
        type=_window_px,
        metavar=("W", "H"),
        help="window size in pixels, e.g. 1280 720 (default: fits the screen)",
    )

    def scene_command(name: str, help_text: str, *, shape: bool) -> argparse.ArgumentParser:
        p = sub.add_parser(name, parents=[common], help=help_text, description=help_text)
        p.add_argument("scene", metavar="SCENE.json", help="the scene file")
        group = p.add_mutually_exclusive_group()
        group.add_argument("--image", metavar="IMG", help="use this image instead of the scene's")
        if shape:
            group.add_argument(
                "--input-shape",
                nargs=3,
                type=_positive_int,
                metavar=("C", "H", "W"),
                help="use a random tensor of this shape instead of the scene's input",
            )
        return p

    stats = scene_command("stats", "print each layer's shape, params, MACs and FLOPs", shape=True)
    stats.add_argument("--json", action="store_true", help="print one JSON object")
    stats.add_argument(
        "--time",
        action="store_true",
        help="also run the stack and time each layer warm: median of 7 runs after 2 warm-ups, "
        "on its real input (time_ms per layer in --json; the app's cost table uses the same code)",
    )
    render = scene_command("render", "run the stack and save the figures as PNGs", shape=False)
    render.add_argument("--out", metavar="DIR", help="folder for the PNGs (default: SCENE-figures)")
    render.add_argument(
        "--width",
        type=_positive_int,
        default=1600,
        metavar="PX",
        help="width of each figure in pixels (default 1600)",
    )
    scene_command("code", "print a standalone PyTorch script that builds the stack", shape=True)
    from explorer.commands import import_model, run_scene

    for command in (import_model, run_scene):
        command.add_parser(sub, [common])
    from explorer.commands import animate

    animate.add_parser(sub)
    from explorer.commands import fit as fit_command

    fit_command.add_parser(sub, parents=[common])
    return parser


def _with_command(argv: list[str]) -> list[str]:
    """Insert ``gui`` when the arguments name no command (``conv-explorer scene.json``)."""
    for token in argv:
        if token in COMMANDS:
            return argv
        if not token.startswith("-"):
            break
    if any(t in ("-h", "--help", "--version") for t in argv) and all(t[:1] == "-" for t in argv):
        return argv
    return ["gui", *argv]


def _load(args: argparse.Namespace, *, memory: bool = True, weights: bool = True) -> Scene:
    """The scene named on the command line, with ``--image``/``--input-shape`` applied.

    The input image is decoded (a header can be fine in a truncated file), so every
    command refuses an image the window could not show. ``memory=False`` loads a stack
    too big to run (``stats`` counts it).
    """
    from dataclasses import replace

    from explorer.core.io.inputs import resolve_input
    from explorer.core.io.scene import InputSpec, load_scene

    def override(scene: Scene) -> Scene:
        # applied before validation: the stack is checked against the input used
        if getattr(args, "input_shape", None):
            return replace(scene, input=InputSpec(shape=tuple(args.input_shape)))
        if args.image:
            image = Path(args.image).expanduser().resolve()
            return replace(scene, input=replace(scene.input, image=str(image), shape=None))
        return scene

    scene = load_scene(Path(args.scene), memory=memory, override=override, weights=weights)
    if scene.input.shape is None:
        resolve_input(scene.input, seed=scene.seed)
    return scene


def _check_weights(scene: Scene, cost: StackCost, scene_file: str) -> None:
    """Build the layers once so that checkpoint weights are read (``weights_only``) and
    checked against their layer: shape, dtype, finite values. Torch is imported only for
    a scene that references a checkpoint."""
    from explorer.core.errors import SpecError
    from explorer.core.model.specs import CheckpointTensor

    if not any(isinstance(src, CheckpointTensor) for s in scene.layers for _, src in s.weights):
        return
    from explorer.core.analysis.layer_guard import guard_stack_weights
    from explorer.core.compute.build import build_stack

    guard_stack_weights(cost)  # stats builds without the run's guard
    try:
        build_stack(scene.layers, cost.input_shape[0], seed=scene.seed)
    except SpecError as exc:
        raise SpecError(f"{Path(scene_file).name}: {exc}") from None


def _cost(scene: Scene, scene_file: str, *, runnable: bool = False) -> StackCost:
    """The stack's costs on the input's shape (read from the image header only).

    With ``runnable``, also check what running needs (set weights fit the layers, the
    activations fit in memory), as the window does; ``stats`` only counts.
    """
    from explorer.core.analysis.costs import stack_cost
    from explorer.core.errors import SceneError, SpecError
    from explorer.core.io.inputs import input_shape
    from explorer.core.io.scene import validate_scene

    name = Path(scene_file).name
    try:
        if runnable:
            return validate_scene(scene)
        return stack_cost(input_shape(scene.input), scene.layers)
    except SpecError as exc:
        raise SpecError(f"{name}: {exc}") from None
    except SceneError as exc:
        raise SceneError(f"{name}: {exc}") from None


def _stats(args: argparse.Namespace) -> int:
    from explorer.core.analysis.memory import estimate_run_bytes, memory_limit_bytes
    from explorer.core.io.scene_dump import to_json_text  # lists of numbers on one line

    # with a made-up shape, stats only counts: set weights are not checked against it
    scene = _load(args, memory=False, weights=not args.input_shape or args.time)
    cost = _cost(scene, args.scene)
    if not args.input_shape:  # with a made-up shape, stats only counts
        _check_weights(scene, cost, args.scene)
    data = stats_dict(scene, cost)
    data["memory"] = {"run_bytes": estimate_run_bytes(cost), "limit_bytes": memory_limit_bytes()}
    if args.time:
        from explorer.core.compute.timing import add_times
        from explorer.core.io.inputs import resolve_input

        add_times(data, scene.layers, resolve_input(scene.input, seed=scene.seed), scene.seed)
    print(to_json_text(data).rstrip("\n") if args.json else stats_table(data))
    return 0


def _code(args: argparse.Namespace) -> int:
    from explorer.core.compute.codegen import scene_code

    scene = _load(args)
    cost = _cost(scene, args.scene, runnable=True)
    _check_weights(scene, cost, args.scene)
    sys.stdout.write(scene_code(scene, cost.input_shape).rstrip("\n") + "\n")
    return 0


_QT_NOISE = (
    "This plugin does not support propagateSizeHints",
    "This plugin does not support raise",
)
_qt_handler: Any = None


def _headless() -> None:
    """Let Qt draw without a display (CI, ssh) by using its offscreen platform, and drop
    the offscreen plugin's one harmless warning, which says nothing about the user's work."""
    global _qt_handler
    no_display = not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    if no_display and sys.platform.startswith("linux"):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    if os.environ.get("QT_QPA_PLATFORM") != "offscreen" or _qt_handler is not None:
        return
    from PySide6.QtCore import qInstallMessageHandler

    def handler(mode: Any, context: Any, message: str) -> None:
        if not message.startswith(_QT_NOISE):
            print(message, file=sys.stderr)

    _qt_handler = handler  # keep it alive for as long as Qt may call it
    qInstallMessageHandler(handler)


def _render(args: argparse.Namespace) -> int:
    scene = _load(args)
    cost = _cost(scene, args.scene, runnable=True)
    _check_weights(scene, cost, args.scene)
    out_dir = Path(args.out) if args.out else Path(f"{Path(args.scene).stem}-figures")
    out_dir.mkdir(parents=True, exist_ok=True)

    from explorer.core.compute.run import run_stack
    from explorer.core.compute.timing import time_stack
    from explorer.core.io.inputs import resolve_input

    image = resolve_input(scene.input, seed=scene.seed)
    results = list(run_stack(scene.layers, image, seed=scene.seed))
    timings = dict(enumerate(time_stack(scene.layers, image, scene.seed)))
    _headless()
    from explorer.ui.window.render import render_figures

    for path in render_figures(
        scene, image, results, cost, out_dir, width=args.width, timings=timings
    ):
        print(path)
    return 0


def _gui(args: argparse.Namespace) -> int:
    if args.scene is not None and not Path(args.scene).is_file():
        raise FileNotFoundError(2, "no such file", args.scene)
    if args.image is not None and not Path(args.image).is_file():
        raise FileNotFoundError(2, "no such file", args.image)
    if args.screenshot:
        _headless()
    from explorer.ui.app import run_app

    extra = {"size": tuple(args.size)} if args.size else {}
    return int(run_app(args.scene, args.image, args.screenshot, **extra) or 0)


def _fit(args: argparse.Namespace) -> int:
    from explorer.commands import fit as fit_command

    return fit_command.run(args)


def _animate(args: argparse.Namespace) -> int:
    from explorer.commands import animate

    return animate.run(args)


_HANDLERS = {
    "gui": _gui,
    "stats": _stats,
    "render": _render,
    "code": _code,
    "animate": _animate,
    "fit": _fit,
}


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def _user_message(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        where = f"{exc.filename}: " if exc.filename else ""
        return _one_line(f"{where}{exc.strerror}")
    if isinstance(exc, json.JSONDecodeError):
        return _one_line(f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}")
    if isinstance(exc, UnicodeDecodeError):
        return "the file is not UTF-8 text"
    return _one_line(str(exc)) or type(exc).__name__


def _fail(message: str) -> None:
    print(f"{PROG}: error: {message}", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code (the console script exits with it)."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args_list
    install_warning_filters()  # on the main thread, before any worker
    try:
        args = build_parser().parse_args(_with_command(args_list))
        handler = getattr(args, "handler", None) or _HANDLERS[args.command]
        return handler(args)
    except SystemExit as exc:  # --help and --version
        return exc.code if isinstance(exc.code, int) else 0
    except _UsageError as exc:
        _fail(_one_line(str(exc)))
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `conv-explorer stats x.json | head`
        sys.stdout = open(os.devnull, "w")  # silence the flush at exit
        return 0
    except (ExplorerError, OSError, json.JSONDecodeError, UnicodeDecodeError) as exc:
        if debug:
            raise
        _fail(_user_message(exc))
        return 2
    except Exception as exc:
        if debug:
            raise
        _fail(
            f"{type(exc).__name__}: {_one_line(str(exc))} "
            "(this is a bug; run with --debug for the traceback)"
        )
        return 1
