"""Fixtures shared by the widget tests (pytest-qt's ``qtbot`` does the Qt set-up)."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))  # ui_helpers

from ui_helpers import wait_run  # noqa: E402


@pytest.fixture
def rng() -> np.random.Generator:
    """A seeded random generator, so every run draws the same arrays."""
    return np.random.default_rng(1234)


@pytest.fixture
def shown_item(qtbot):
    """``(widget, view, item)``: a shown 200×200 graphics widget whose aspect-locked,
    y-down view holds one empty :class:`~explorer.ui.views.map_image.MapImageItem`."""
    import pyqtgraph as pg

    from explorer.ui.views.map_image import MapImageItem

    widget = pg.GraphicsLayoutWidget()
    qtbot.addWidget(widget)
    view = widget.addViewBox(lockAspect=True, invertY=True, enableMouse=False)
    item = MapImageItem()
    view.addItem(item)
    widget.resize(200, 200)
    widget.show()
    qtbot.waitExposed(widget)
    return widget, view, item


@pytest.fixture
def make_window(qtbot, tmp_path: Path) -> Iterator[Callable[..., object]]:
    """``make_window(scene)``: a shown MainWindow on ``scene`` that answers "Discard" when
    asked to save and, unless ``wait=False``, has finished its first run (``timeout`` ms).

    ``settings`` is the INI file (``tmp_path/s.ini`` by default). After the test every
    window made is shut down and the thread pool must drain.
    """
    from PySide6.QtCore import QThreadPool
    from PySide6.QtWidgets import QMessageBox

    from explorer.core.model.document import SceneDocument
    from explorer.ui.state.settings import AppSettings, make_qsettings
    from explorer.ui.window.dispose import dispose_window
    from explorer.ui.window.main_window import MainWindow

    windows = []

    def make(
        scene,
        *,
        settings: Path | None = None,
        size: tuple[int, int] | None = None,
        wait: bool = True,
        timeout: int = 30000,
    ):
        qsettings = make_qsettings(settings if settings is not None else tmp_path / "s.ini")
        win = MainWindow(SceneDocument(scene), AppSettings(qsettings), autosave=False)
        win.files.ask_save = lambda: QMessageBox.StandardButton.Discard
        qtbot.addWidget(win)
        windows.append(win)
        win.show()
        if size is not None:
            win.resize(*size)
        if wait:
            wait_run(qtbot, win, timeout)
        return win

    yield make
    for win in windows:
        win.shutdown()
        assert not win.controller.worker_running
        dispose_window(win)  # not left for PySide's exit clean-up (docs/robustness.md, s9d)
    assert QThreadPool.globalInstance().waitForDone(10000)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Qt's offscreen platform warns whenever a shown window's minimum size changes
    ("This plugin does not support propagateSizeHints()"); that says nothing about our
    code, so it must not fail tests that run with ``qt_log_level_fail = WARNING``."""
    ignore = pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints")
    for item in items:
        if "tests/ui/" in item.nodeid.replace("\\", "/"):
            item.add_marker(ignore)
