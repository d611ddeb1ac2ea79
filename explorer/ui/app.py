"""Start the window: ``run_app(scene_path, image, screenshot)``.

The window is painted before torch is imported: the first run, whose worker imports
torch, is held until the window's first paint (:mod:`explorer.ui.window.first_paint`), so
the window appears fast. Then torch's shared library is loaded on a thread that does not
hold the interpreter lock (:mod:`explorer.ui.state.torch_preload`), and the first
run's ``import torch`` waits for it: loaded by the import itself, it stopped the GUI thread
for ≈ 0.18 s. With ``screenshot`` the app waits for the first run to be
painted, saves the window to a PNG and exits (works with ``QT_QPA_PLATFORM=offscreen``).
"""

from __future__ import annotations

import sys
import time
from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QMessageBox

from explorer.core.errors import ExplorerError
from explorer.core.io.scene import Scene
from explorer.core.model.document import SceneDocument
from explorer.ui.state.settings import APPLICATION, ORGANIZATION, AppSettings, make_qsettings
from explorer.ui.window.dispose import dispose_window

__all__ = ["SCREENSHOT_TIMEOUT_S", "initial_scene", "run_app"]

SCREENSHOT_TIMEOUT_S = 60.0


def _application() -> QApplication:
    from explorer.ui.state.worker_priority import paint_on_gui_thread

    paint_on_gui_thread()  # before the first paint (few cores: no waits on Qt's helpers)
    app = QApplication.instance()
    if app is None:
        app = QApplication(sys.argv[:1])
    app.setApplicationName(APPLICATION)
    app.setOrganizationName(ORGANIZATION)
    app.setDesktopFileName("conv-explorer")  # matches the menu entry (Wayland, task bars)
    app.setApplicationDisplayName(APPLICATION)
    from explorer.core.io.samples import assets_dir

    icon = assets_dir() / "icon" / "conv-explorer-128.png"
    if icon.is_file():
        app.setWindowIcon(QIcon(str(icon)))
    return app  # type: ignore[return-value]


def initial_scene(
    scene_path: str | Path | None, settings: AppSettings
) -> tuple[Scene, Path | None, str | None]:
    """The scene to open: the given file, else the last one, else the bundled default.

    Returns the scene, its path (``None`` for the bundled default) and a one-line
    message when a file had to be skipped.
    """
    from explorer.core.io.samples import DEFAULT_SCENE
    from explorer.core.io.samples import scene_path as bundled
    from explorer.core.io.scene import load_scene

    problem = None
    candidates: list[tuple[Path, bool]] = []
    if scene_path is not None:
        candidates.append((Path(scene_path), True))
    elif settings.last_scene is not None and settings.last_scene.is_file():
        candidates.append((settings.last_scene, True))
    try:
        candidates.append((bundled(DEFAULT_SCENE), False))
    except ExplorerError as err:
        problem = problem or str(err)
    for path, keep_path in candidates:
        try:
            return (
                load_scene(path, memory=False),
                (path.resolve() if keep_path else None),
                problem,
            )
        except (ExplorerError, OSError) as err:
            problem = problem or (str(err) if isinstance(err, ExplorerError) else f"{path}: {err}")
        if keep_path:  # it parses but does not run: open it, the error shows at its field
            try:
                return load_scene(path, validate=False), path.resolve(), problem
            except (ExplorerError, OSError):
                pass
    from explorer.ui.window.file_ops import new_scene

    return new_scene(), None, problem


def _offer_autosave(window: object, document: SceneDocument) -> None:
    from explorer.ui.window.crash import discard_autosave, find_autosave

    info = find_autosave()
    if info is None:
        return
    when = time.strftime("%Y-%m-%d %H:%M", time.localtime(info.saved_at))
    name = info.scene_path.name if info.scene_path else "an untitled scene"
    answer = QMessageBox.question(
        window,
        "Restore unsaved changes?",
        f"Conv Explorer found unsaved changes to {name} from {when}. Restore them?",
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
    )
    if answer != QMessageBox.StandardButton.Yes:
        discard_autosave()
        return
    from explorer.core.io.scene import load_scene

    try:  # the window's own state, which may be an invalid stack: not validated
        scene = load_scene(info.path, validate=False)
        if info.scene_path is not None and info.scene_path.is_file():
            document.reset(load_scene(info.scene_path, validate=False), info.scene_path)
    except (ExplorerError, OSError) as err:
        QMessageBox.warning(window, "Cannot restore", str(err))
        return
    document.set_scene(scene, "restore autosave")


def run_app(
    scene_path: str | Path | None = None,
    image: str | Path | None = None,
    screenshot: str | Path | None = None,
    *,
    size: tuple[int, int] | None = None,
) -> int:
    """Open the main window and run the event loop.

    Parameters
    ----------
    scene_path
        A scene file to open; default: the last one, else the bundled default scene.
    image
        An image to use as the input instead of the scene's.
    screenshot
        Save a PNG of the window once the first run is painted, then exit: 0 on success,
        1 when nothing was painted within :data:`SCREENSHOT_TIMEOUT_S` seconds.
    size
        ``(width, height)`` of the window in pixels; default: as large as fits the screen
        (1500×920 at most; a screenshot takes the screen's whole available size).

    Returns
    -------
    int
        The exit status.
    """
    app = _application()
    # A screenshot neither reads nor changes the user's settings (same picture every time).
    if screenshot is not None:
        import tempfile

        qsettings = make_qsettings(Path(tempfile.mkdtemp(prefix="conv-explorer-")) / "s.ini")
    else:
        qsettings = make_qsettings()
    settings = AppSettings(qsettings, write_behind=True)  # the disk never stops the window
    scene, path, problem = initial_scene(scene_path, settings)
    if problem and scene_path is not None and screenshot:
        print(f"conv-explorer: {problem}", file=sys.stderr)
        return 1
    document = SceneDocument(scene, path)
    if image is not None:
        image_file = Path(image).resolve()
        document.set_input(replace(scene.input, image=str(image_file), shape=None))

    from explorer.ui.window.main_window import MainWindow

    window = MainWindow(document, settings, autosave=screenshot is None)
    # the first run (whose worker imports torch) waits until the window has been painted
    from explorer.ui.window.first_paint import first_run_after_first_paint

    first_run_after_first_paint(window)
    if size is not None:
        window.resize(*size)
    elif screenshot is not None:
        from explorer.ui.widgets.screen_fit import available_size

        window.resize(available_size(window))
    window.show()
    if problem:
        window.statusBar().showMessage(problem, 15000)
    if screenshot is not None:
        return _screenshot(app, window, Path(screenshot))

    from explorer.ui.window.crash import CrashHandler

    crash = CrashHandler(window)
    crash.install()
    QTimer.singleShot(0, lambda: _offer_autosave(window, document))
    try:
        return int(app.exec())
    finally:
        window.shutdown()
        crash.uninstall()
        dispose_window(window)  # now, not in PySide's exit clean-up (docs/robustness.md, s9d)


def _screenshot(app: QApplication, window: object, out: Path) -> int:
    """Wait for the first run (or its failure), paint, grab the window, exit."""
    state = {"code": None}
    controller = window.controller

    def grab() -> None:
        if state["code"] is not None:
            return
        app.processEvents()
        window.repaint()
        out.parent.mkdir(parents=True, exist_ok=True)
        ok = window.grab().save(str(out), "PNG")
        if not ok:
            print(f"conv-explorer: cannot write {out}", file=sys.stderr)
        state["code"] = 0 if ok else 1
        app.quit()

    def timeout() -> None:
        if state["code"] is None:
            print(
                f"conv-explorer: no results to capture after {SCREENSHOT_TIMEOUT_S:.0f} s",
                file=sys.stderr,
            )
            state["code"] = 1
            app.quit()

    def soon(*_: object) -> None:
        QTimer.singleShot(300, grab)  # let the last results be painted first

    controller.run_finished.connect(soon)
    controller.run_failed.connect(soon)
    controller.spec_error.connect(lambda err: soon() if err is not None else None)
    if controller.error is not None:  # an invalid scene never runs
        soon()
    QTimer.singleShot(int(SCREENSHOT_TIMEOUT_S * 1000), timeout)
    try:
        app.exec()
    finally:
        window.shutdown()
        dispose_window(window)
    return int(state["code"] if state["code"] is not None else 1)
