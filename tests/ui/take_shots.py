"""The views of issue 15 at projector sizes: open each case, check it, save a PNG.

Used by ``test_fits_screen.py`` and by hand::

    QT_QPA_PLATFORM=offscreen .venv/bin/python tests/ui/take_shots.py /tmp/i15-shots [CASE ...]

writes ``CASE-WxH.png`` for each case at 1280×720 and 1920×1080 and prints the problems
:func:`fit_checks.all_problems` finds.
"""

from __future__ import annotations

import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from PySide6.QtWidgets import QApplication, QWidget

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from fit_checks import all_problems  # noqa: E402

SIZES = ((1280, 720), (1920, 1080))
SLIDES = 9
#: windows that landed after the first screenshot set (issue 15, developer 15b)
TOOL_CASES = ("fit", "walkthrough", "counts", "model_import", "stale")
#: an imported model (19 layers): its first layer (a standard 3×3 conv) and a pointwise one
MODEL_CASES = ("model", "model_pointwise")
MODEL_SCENE = "paddleocr_cls"
CASES = (
    "normal",
    "presentation",
    "inspector",
    "inspector_presentation",
    "compare",
    *(f"slide{i}" for i in range(1, SLIDES + 1)),
    *(f"slide{i}_presentation" for i in range(1, SLIDES + 1)),
    *TOOL_CASES,
    *MODEL_CASES,
    *(f"{case}_presentation" for case in MODEL_CASES),
)


def wait_until(predicate: Callable[[], bool], timeout: float = 60.0) -> None:
    """Spin the event loop until ``predicate()`` (or raise after ``timeout`` seconds)."""
    app = QApplication.instance()
    end = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > end:
            raise TimeoutError("the window did not finish in time")
        app.processEvents()
        time.sleep(0.01)


def settle(ms: int = 150) -> None:
    """Let queued layouts, timers and repaints run."""
    app = QApplication.instance()
    end = time.monotonic() + ms / 1000
    while time.monotonic() < end:
        app.processEvents()
        time.sleep(0.005)


def idle(win: object) -> bool:
    c = win.controller
    return (
        not c.busy
        and not c.worker_running
        and (c.error is not None or len(c.results) >= len(win.document.layers))
        and not win.pacer.pending  # the results are drawn in the pass after they came
    )


def make_main(settings_dir: Path, size: tuple[int, int], scene_name: str = "") -> object:
    """A shown main window on a bundled scene (the default one unless ``scene_name``),
    ``size`` large, first run done."""
    from explorer.core.io.samples import DEFAULT_SCENE, scene_path
    from explorer.core.io.scene import load_scene
    from explorer.core.model.document import SceneDocument
    from explorer.ui.state.settings import AppSettings, make_qsettings
    from explorer.ui.window.main_window import MainWindow

    scene = load_scene(scene_path(scene_name or DEFAULT_SCENE))
    win = MainWindow(
        SceneDocument(scene), AppSettings(make_qsettings(settings_dir / "s.ini")), autosave=False
    )
    win.resize(*size)
    win.show()
    wait_until(lambda: idle(win))
    return win


def open_case(case: str, size: tuple[int, int], settings_dir: Path) -> tuple[QWidget, object]:
    """Open ``case`` at ``size``: returns the widget to check and grab, and the main window."""
    presenting = case.endswith("presentation")
    base = case.removesuffix("_presentation")
    win = make_main(settings_dir, size, MODEL_SCENE if base in MODEL_CASES else "")
    if base in MODEL_CASES:
        win.document.select(0 if base == "model" else 1)
        wait_until(lambda: idle(win))
    if base.startswith("slide"):
        from explorer.core.io.lesson import default_lesson_path, load_lesson

        number = int(base[len("slide") :])
        win.tools["slides"].start(load_lesson(default_lesson_path()), number - 1)
        wait_until(lambda: idle(win))
    if base == "inspector":
        dock = win.tools["inspector_dock"]
        dock.show()
        win.document.select(len(win.document.layers) - 1)
        wait_until(lambda: idle(win))
        dock.set_pixel(1, 10, 12)
        dock.refresh()
    if presenting:
        win.tools["presentation"].enter(full_screen=False)
        win.resize(*size)
    settle(400 if presenting else 150)
    for _ in range(3):  # the weight panels re-fit 40 ms after each resize, until stable
        wait_until(lambda: not win.weight_view._refit_timer.isActive())
        settle(100)
    if base in TOOL_CASES:
        return _open_tool(base, win, size)
    if base == "compare":
        compare = win.tools["compare_window"].window
        compare.repeats.setValue(1)
        win.document.select(0)
        compare.open_for_selection()
        wait_until(lambda: compare.result is not None or bool(compare.error))
        settle()
        return compare, win
    return win, win


def _open_tool(base: str, win: object, size: tuple[int, int]) -> tuple[QWidget, object]:
    """Open one of :data:`TOOL_CASES` on the shown main window ``win``."""
    if base == "fit":
        win.tools["fit_dock"].show()
    elif base == "walkthrough":  # as Tools ▸ Walk-through opens it: over the whole window
        dock = win.tools["walkthrough_dock"]
        dock.toggleViewAction().trigger()
        settle(400)
        if dock.isFloating():
            return dock, win
    elif base == "stale":
        doc = win.document
        doc.replace_layer(1, doc.layers[1].with_changes(out_channels=3))
        win.controller.cancel()  # before the run could replace the maps: the old ones stay
        wait_until(lambda: not win.controller.busy and not win.controller.worker_running)
        win.document.select(1)
    elif base == "counts":
        counts = win.tools["tool_counts_view"]
        counts.open()
        settle()
        return counts.dialog, win
    elif base == "model_import":
        from explorer.ui.tools.models.model_dialog import ModelImportDialog, ModelProbe

        probe = ModelProbe(
            path="/models/mobilenet_v2_1.0_224.onnx",
            input_name="input",
            shape=(3, 224, 224),
            dynamic=False,
            layers=12,
            stop="node 13 (Add): a residual connection",
            input_range=((0.485, 0.456, 0.406), (0.229, 0.224, 0.225)),
        )
        dialog = ModelImportDialog(probe, win)
        dialog.show()
        settle()
        return dialog, win
    settle(300)
    for _ in range(3):
        wait_until(lambda: not win.weight_view._refit_timer.isActive())
        settle(100)
    return win, win


def shoot(case: str, size: tuple[int, int], out_dir: Path | None, settings_dir: Path) -> list[str]:
    """Open, check and (when ``out_dir``) save one case; returns its problems."""
    top, win = open_case(case, size, settings_dir)
    try:
        problems = all_problems(top, *size)
        if out_dir is not None:
            out_dir.mkdir(parents=True, exist_ok=True)
            top.grab().save(str(out_dir / f"{case}-{size[0]}x{size[1]}.png"), "PNG")
        return problems
    finally:
        close_case(top, win)


def close_case(top: QWidget, win: object) -> None:
    """Close what :func:`open_case` opened: hidden and deleted, not just stopped (a window
    left visible takes later tests' synthetic mouse events in the offscreen platform)."""
    if top is not win:
        top.close()
        wait_until(lambda: not getattr(top, "busy", False))
    win.tools["presentation"].leave()  # puts the application font back
    win.shutdown()
    win.close()
    win.deleteLater()
    settle(10)


def main(argv: list[str]) -> int:
    import os

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ.setdefault("CONV_EXPLORER_NO_SETTINGS", "1")
    import torch

    torch.set_num_threads(1)
    _app = QApplication.instance() or QApplication([])
    out = Path(argv[0]) if argv else Path("/tmp/i15-shots")
    cases = argv[1:] or list(CASES)
    bad = 0
    for case in cases:
        for size in SIZES:
            settings_dir = Path(tempfile.mkdtemp(prefix="i15-"))
            problems = shoot(case, size, out, settings_dir)
            bad += bool(problems)
            print(f"{case} {size[0]}x{size[1]}: {len(problems)} problem(s)")
            for line in problems:
                print("   ", line)
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
