"""A closed window leaves nothing for PySide's exit clean-up (docs/robustness.md, "s9d").

A window still alive when the interpreter exits is destroyed by PySide's ``atexit``
clean-up, which deletes Python-owned QObjects in no set order: a pyqtgraph
``GraphicsLayout`` deleted before its view made its child widgets run their Python
overrides on a half-finalized interpreter, and the test process exited 139 after all its
tests had passed (2 of 5 runs of test_work_never_lost.py).
"""

from __future__ import annotations

import subprocess
import sys

import pytest
import shiboken6
from PySide6.QtWidgets import QGraphicsObject
from robust_helpers import small_scene

from explorer.ui.window.dispose import dispose_window

ROOT_FILE = "tests/robustness/test_work_never_lost.py"


def _graphics_objects(win) -> list[QGraphicsObject]:
    """Every QGraphicsObject in the window's graphics scenes."""
    from PySide6.QtWidgets import QGraphicsView

    found = []
    for view in win.findChildren(QGraphicsView):
        if view.scene() is not None:
            found += [i for i in view.scene().items() if isinstance(i, QGraphicsObject)]
    return found


def test_a_disposed_window_takes_its_graphics_items_with_it(qtbot, tmp_path):
    from PySide6.QtWidgets import QMessageBox

    from explorer.core.model.document import SceneDocument
    from explorer.ui.state.settings import AppSettings, make_qsettings
    from explorer.ui.window.main_window import MainWindow

    # not make_window: pytest-qt would close it again after it is gone
    doc = SceneDocument(small_scene())
    win = MainWindow(doc, AppSettings(make_qsettings(tmp_path / "s.ini")), autosave=False)
    win.files.ask_save = lambda: QMessageBox.StandardButton.Discard
    with qtbot.waitSignal(win.controller.run_finished, timeout=60000):
        win.show()
    items = _graphics_objects(win)
    layouts = [i for i in items if type(i).__name__ == "GraphicsLayout"]
    assert layouts and all(shiboken6.isValid(i) for i in items)
    win.close()  # as the user does, or pytest-qt at teardown: hidden and shut down
    assert not win.controller.worker_running
    assert all(shiboken6.isValid(i) for i in layouts)  # still there until deleted
    dispose_window(win)
    assert not shiboken6.isValid(win)
    assert not any(shiboken6.isValid(i) for i in items)
    dispose_window(win)  # idempotent


@pytest.mark.slow
def test_the_crash_dialog_test_and_another_window_test_exit_cleanly(subprocess_env):
    """The pair that used to segfault at exit, run three times in fresh processes (each
    run crashed with probability about 0.4 before the fixtures disposed their windows)."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    for _ in range(3):
        proc = subprocess.run(
            [
                sys.executable,
                *("-m", "pytest", "-q", "-p", "no:randomly", "-p", "no:cacheprovider"),
                ROOT_FILE,
                "-k",
                "window_save_failure or a_bug_in_a_slot",
            ],
            cwd=root,
            env=subprocess_env,
            capture_output=True,
            text=True,
            timeout=240,
        )
        assert proc.returncode == 0, (proc.returncode, proc.stdout[-2000:], proc.stderr[-2000:])
        assert "2 passed" in proc.stdout
