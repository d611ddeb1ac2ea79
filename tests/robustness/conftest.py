"""Fixtures of the end-to-end robustness tests: a real window on a small scene."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(HERE))  # nasty_files, also for the subprocess scripts


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The offscreen platform warns when a shown window's size hints change; harmless."""
    ignore = pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints")
    for item in items:
        if "tests/robustness/" in item.nodeid.replace("\\", "/"):
            item.add_marker(ignore)


@pytest.fixture
def subprocess_env(tmp_path: Path) -> dict[str, str]:
    """Environment of a child Python: offscreen Qt, no settings, its own data dir."""
    env = dict(
        os.environ,
        QT_QPA_PLATFORM="offscreen",
        CONV_EXPLORER_NO_SETTINGS="1",
        CONV_EXPLORER_DATA_DIR=str(tmp_path / "data"),
    )
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), str(HERE), env.get("PYTHONPATH")]))
    return env


@pytest.fixture
def make_window(qtbot, tmp_path: Path) -> Iterator[Callable[..., object]]:
    """``make_window(scene)``: a shown MainWindow that has finished its first run."""
    from PySide6.QtWidgets import QMessageBox

    from explorer.core.model.document import SceneDocument
    from explorer.ui.state.settings import AppSettings, make_qsettings
    from explorer.ui.window.dispose import dispose_window
    from explorer.ui.window.main_window import MainWindow

    windows = []

    def make(scene, path=None, *, wait: bool = True):
        doc = SceneDocument(scene, path)
        win = MainWindow(doc, AppSettings(make_qsettings(tmp_path / "s.ini")), autosave=False)
        win.files.ask_save = lambda: QMessageBox.StandardButton.Discard
        qtbot.addWidget(win)
        windows.append(win)
        if wait:
            with qtbot.waitSignal(win.controller.run_finished, timeout=60000):
                win.show()
            qtbot.waitUntil(lambda: not (win.controller.busy or win.pacer.pending), timeout=10000)
        else:
            win.show()
        return win

    yield make
    for win in windows:
        win.shutdown()
        assert not win.controller.worker_running
        dispose_window(win)  # not left for PySide's exit clean-up (docs/robustness.md, s9d)
