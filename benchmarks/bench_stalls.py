"""The longest GUI-thread stall of single actions on the default scene (issue 16).

Each action runs on a fresh window of the default scene (after its first run), inside a
10 ms heartbeat timer on the GUI thread, the monkey's stall measure
(``tests/robustness/monkey.py``); the figure is the longest gap between two ticks minus
the 10 ms period, from the action until 1.5 s later (everything it triggers: queued
slices, repaints, results arriving). Repeated ``--repeats`` times on fresh windows; the
median and the largest are printed. The baseline to read them against is a frame (~17-33
ms) and the heartbeat's own median gap, printed in the same run.

Run::

    QT_QPA_PLATFORM=offscreen python benchmarks/bench_stalls.py --repeats 3

To measure other code (e.g. an older commit exported with ``git archive``), put its
folder first: ``PYTHONPATH=/tmp/old python benchmarks/bench_stalls.py``.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "robustness"))


def _actions() -> dict[str, Callable[[object], None]]:
    from dataclasses import replace

    def compare(win) -> None:
        win.tools["compare_window"].compare_action.trigger()

    def inspector(win) -> None:
        win.tools["inspector_dock"].toggleViewAction().trigger()

    def presentation(win) -> None:
        win.tools["presentation"].toggle_action.trigger()

    def key(name: str, shift: bool = False):
        def act(win) -> None:
            from PySide6.QtCore import Qt
            from PySide6.QtTest import QTest

            mods = Qt.KeyboardModifier.ShiftModifier if shift else Qt.KeyboardModifier.NoModifier
            target = win.focusWidget() or win
            QTest.keyClick(target, getattr(Qt.Key, f"Key_{name}"), mods)

        return act

    def presentation_scale(win) -> None:
        tool = win.tools["presentation"]
        tool.set_scale(2.5 if tool.scale != 2.5 else 1.5)

    def remove_layer(win) -> None:
        win.document.select(0)
        win.layer_panel.remove_action.trigger()

    def edit_channels(win) -> None:
        from dataclasses import replace

        spec = win.document.layers[0]
        win.document.replace_layer(
            0, replace(spec, out_channels=spec.out_channels * 2), "bench edit"
        )

    def open_recent(win) -> None:
        from explorer.core.io.scene import save_scene

        # the default scene with a larger photo and one more layer: a file the user made
        folder = Path(win.settings.qsettings.fileName()).parent
        path = folder / "recent.json"
        scene = win.document.scene
        bigger = replace(scene, input=replace(scene.input, size=384), layers=scene.layers[:2])
        save_scene(bigger, path)
        win.settings.add_recent(path)
        win.actions.update_recent()
        win.actions.recent_menu.actions()[0].trigger()

    def paste_image(win) -> None:
        from PySide6.QtGui import QImage
        from PySide6.QtWidgets import QApplication

        image = QImage(1600, 1200, QImage.Format.Format_RGB32)
        image.fill(0xFF336699)
        QApplication.clipboard().setImage(image)
        win.actions.paste_image.trigger()

    def copy_code(win) -> None:
        win.tools["export"].copy_code_action.trigger()

    def walkthrough_padding(win) -> None:
        # the walk-through open on a layer whose taps reach 200 cells into the padding
        win.document.select(0)
        win.tools["walkthrough_dock"].toggleViewAction().trigger()
        spec = win.document.layers[0]
        win.document.replace_layer(
            0, replace(spec, padding=(200, 200), dilation=(200, 200)), "bench edit"
        )

    made: dict[str, object] = {}  # data made before the measurement, once

    def nan_maps(win) -> None:
        # a result of 64 maps of 512² with a NaN in each, handed to the feature grid
        win.feature_grid.set_maps(made["nan"], title="NaN maps")

    def make_nan_maps() -> None:
        import numpy as np

        maps = np.random.default_rng(0).standard_normal((64, 512, 512), dtype=np.float32)
        maps[:, 0, 0] = np.nan
        maps.flags.writeable = False
        made["nan"] = maps

    make_nan_maps()

    def save_big_weights(win) -> None:
        # File ▸ Save of a scene with 262,144 hand-set weights (set up by _setup_big_weights)
        win.actions.save.trigger()

    def fit_first_open(win) -> None:
        win.tools["fit_dock"].toggleViewAction().trigger()

    def preset_gray(win) -> None:
        # the default scene's first layer is a 1×1 on the RGB photo
        win.document.select(0)
        win.tools["weight_tools"].apply_preset("rgb_to_gray")

    def maps_svg(win) -> None:
        exporter = win.tools["export"]
        folder = Path(win.settings.qsettings.fileName()).parent
        exporter.ask_path = lambda *a: folder / "maps.svg"
        exporter.export_panel("maps", "svg")

    def bundled_lesson(win) -> None:
        win.tools["slides"].bundled_action.trigger()

    def move_layer(win) -> None:
        win.document.select(0)
        win.layer_panel.move_down_action.trigger()

    def add_depthwise(win) -> None:
        win.layer_panel.add_layer("depthwise")

    def one_scale(win) -> None:
        modes = win.actions.scale_modes
        mode = "per_channel" if modes["shared"].isChecked() else "shared"
        modes[mode].trigger()

    def open_paddleocr(win) -> None:
        # Example Scenes ▸ the imported PaddleOCR classifier (23 layers, trained weights)
        menu = win.actions.lessons_menu
        (action,) = [a for a in menu.actions() if a.text().startswith("PaddleOCR")]
        action.trigger()

    def input_shape(shape):
        def act(win) -> None:
            win.document.set_input(replace(win.document.scene.input, image=None, shape=shape))

        return act

    return {
        "big input: edit out_channels": edit_channels,
        "input 3×2048×2048": input_shape((3, 2048, 2048)),
        "input 2048×32×32": input_shape((2048, 32, 32)),
        "input 3×64×2048": input_shape((3, 64, 2048)),
        "fit (first open)": fit_first_open,
        "preset rgb_to_gray": preset_gray,
        "feature maps SVG": maps_svg,
        "bundled lesson": bundled_lesson,
        "save (262,144 set weights)": save_big_weights,
        "open recent": open_recent,
        "paste image": paste_image,
        "copy code": copy_code,
        "walk-through, padding 200": walkthrough_padding,
        "result with NaN (64×512²)": nan_maps,
        "compare (first open)": compare,
        "inspector (first open)": inspector,
        "presentation mode": presentation,
        "presentation scale": presentation_scale,
        "presentation F11": key("F11"),
        "presentation mode, docks open": presentation,
        "leave presentation, docks open": presentation,
        "leave presentation": presentation,
        "leave presentation Esc": key("Escape"),
        "leave presentation Shift+Esc": key("Escape", shift=True),
        "remove layer": remove_layer,
        "move layer": move_layer,
        "add depthwise": add_depthwise,
        "one scale (toggle)": one_scale,
        "open PaddleOCR scene": open_paddleocr,
        "edit out_channels": edit_channels,
    }


def _setup_big_weights(win, folder: Path) -> None:
    """The window's scene becomes a 512→512 1×1 layer with all its weights set by hand, on
    a 512×4×4 random input (a quick run), with a file to save to."""
    import numpy as np

    from explorer.core.io.scene import InputSpec, Scene
    from explorer.core.model.presets import with_weight
    from explorer.core.model.specs import default_spec

    weights = np.random.default_rng(0).standard_normal((512, 512, 1, 1)).astype(np.float32)
    layer = with_weight(default_spec("pointwise", out_channels=512), "weight", weights)
    scene = Scene(layers=(layer,), input=InputSpec(shape=(512, 4, 4)))
    win.document.reset(scene, folder / "big.json")
    win.document.replace_layer(0, layer.with_changes(bias=False), "bench edit")


def start_app(prefix: str, scene_name: str | None):
    """Offscreen, no settings, a scratch data folder; returns the application, the scratch
    folder (named ``prefix…``) and the bundled scene ``scene_name`` (the default scene)."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ.setdefault("CONV_EXPLORER_NO_SETTINGS", "1")
    scratch = Path(tempfile.mkdtemp(prefix=prefix))
    os.environ.setdefault("CONV_EXPLORER_DATA_DIR", str(scratch / "data"))

    from PySide6.QtCore import qInstallMessageHandler
    from PySide6.QtWidgets import QApplication

    from explorer.core.io.samples import DEFAULT_SCENE, scene_path
    from explorer.core.io.scene import load_scene

    qInstallMessageHandler(lambda *_: None)
    app = QApplication.instance() or QApplication([])
    return app, scratch, load_scene(scene_path(scene_name or DEFAULT_SCENE))


def open_ready(scene, folder: Path, name: str):
    """A monkey window on ``scene`` whose first run has finished, ready for action ``name``
    (presentation mode already on for "presentation scale" and "leave presentation…"; the
    Inspector and Fit docks open for "…, docks open")."""
    from monkey import idle_wait, make_monkey_window

    win = make_monkey_window(scene, folder)
    deadline = time.perf_counter() + 120
    while not (win.controller.results and not win.controller.busy):
        idle_wait(20)
        if time.perf_counter() > deadline:
            raise SystemExit(f"{name}: the first run did not finish")
    if name.endswith(", docks open"):  # the Inspector and Fit docks open, their plots made
        for dock in ("inspector_dock", "fit_dock"):
            win.tools[dock].toggleViewAction().trigger()
        idle_wait(1500)
    if name.startswith(("presentation scale", "leave presentation")):
        win.tools["presentation"].toggle_action.trigger()
    return win


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--only", nargs="*", help="names of the actions to run")
    parser.add_argument(
        "--scene", default=None, help="a bundled scene to start from (default: the default scene)"
    )
    args = parser.parse_args(argv)
    app, scratch, scene = start_app("conv-explorer-stalls-", args.scene)

    from dataclasses import replace

    from monkey import idle_wait
    from PySide6.QtCore import QElapsedTimer, Qt, QTimer
    from PySide6.QtWidgets import QApplication

    import explorer

    print(f"code: {Path(explorer.__file__).parent}", flush=True)
    actions = _actions()
    names = args.only or list(actions)
    results: dict[str, list[float]] = {}
    cpu_results: dict[str, list[float]] = {}
    gaps: list[float] = []
    widgets: list[int] = []
    for repeat in range(args.repeats):
        for name in names:
            folder = scratch / f"{repeat}-{len(results.get(name, []))}-{name.split()[0]}"
            folder.mkdir(parents=True, exist_ok=True)
            win = open_ready(scene, folder, name)
            deadline = time.perf_counter() + 120
            if name.startswith("big input"):  # results of 3×2048×2048 first (GBs of maps)
                win.document.set_input(
                    replace(win.document.scene.input, image=None, shape=(3, 2048, 2048))
                )
                idle_wait(100)
                while win.controller.busy and time.perf_counter() < deadline:
                    idle_wait(20)
            if name.startswith("save ("):
                _setup_big_weights(win, folder)
                idle_wait(100)
                while win.controller.busy and time.perf_counter() < deadline:
                    idle_wait(20)
            idle_wait(500)
            clock = QElapsedTimer()
            worst = [0.0]
            worst_cpu = [0.0]
            last_cpu = [time.thread_time()]
            seen: list[float] = []

            def tick(
                clock=clock, worst=worst, seen=seen, worst_cpu=worst_cpu, last_cpu=last_cpu
            ) -> None:
                gap = clock.restart() - 10.0
                seen.append(gap)
                worst[0] = max(worst[0], gap)
                now = time.thread_time()  # the GUI thread's own CPU time
                worst_cpu[0] = max(worst_cpu[0], (now - last_cpu[0]) * 1000)
                last_cpu[0] = now

            heartbeat = QTimer()
            heartbeat.setTimerType(Qt.TimerType.PreciseTimer)
            heartbeat.setInterval(10)
            heartbeat.timeout.connect(tick)
            clock.start()
            heartbeat.start()
            idle_wait(30)
            worst[0] = worst_cpu[0] = 0.0
            clock.restart()
            last_cpu[0] = time.thread_time()
            actions[name](win)
            worst[0] = max(worst[0], clock.elapsed() - 10.0)  # the action itself
            worst_cpu[0] = max(worst_cpu[0], (time.thread_time() - last_cpu[0]) * 1000)
            clock.restart()
            last_cpu[0] = time.thread_time()
            idle_wait(1500)
            heartbeat.stop()
            if name.startswith("save (") and win.document.dirty:
                raise SystemExit(f"{name}: the scene was not saved")
            gaps.extend(seen)
            results.setdefault(name, []).append(worst[0])
            cpu_results.setdefault(name, []).append(worst_cpu[0])
            win.shutdown()
            win.close()
            win.deleteLater()
            idle_wait(50)
            # the windows made before must not be measured: collect their garbage now
            # (otherwise the next action's stall holds a full collection of all of them)
            gc.collect()
            idle_wait(50)
            widgets.append(len(QApplication.allWidgets()))
    print(f"heartbeat median gap beyond its 10 ms: {statistics.median(gaps):.1f} ms")
    print(f"widgets left after each window closed: {widgets}")
    for name in names:
        values, cpu = results[name], cpu_results[name]
        print(
            f"{name:24s} longest stall: median {statistics.median(values):6.0f} ms, "
            f"max {max(values):6.0f} ms  ({', '.join(f'{v:.0f}' for v in values)});  "
            f"GUI-thread CPU in it: median {statistics.median(cpu):5.0f} ms "
            f"({', '.join(f'{v:.0f}' for v in cpu)})"
        )
    print(
        "BENCH-RESULT " + json.dumps({"bench": "stalls", "ms": results, "cpu_ms": cpu_results}),
        flush=True,
    )
    app.processEvents()
    os._exit(0)  # skip the interpreter's teardown of Qt objects


if __name__ == "__main__":
    raise SystemExit(main())
