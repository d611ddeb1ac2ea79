"""Work is never lost: errors keep the last good state, autosave survives a kill, saving is
atomic, and a bug in a slot shows a dialog, is logged, and leaves the app usable."""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMessageBox
from robust_helpers import shown_maps, small_scene

from explorer.core.errors import SceneError
from explorer.core.io import scene as scene_module
from explorer.core.io.scene import load_scene, save_scene
from explorer.core.model.document import SceneDocument
from explorer.core.model.specs import default_spec
from explorer.ui.window.crash import CrashHandler, find_autosave


def test_a_field_error_keeps_the_previous_scene_results_and_maps(qtbot, make_window):
    win = make_window(small_scene())
    win.document.select(0)
    qtbot.waitUntil(lambda: not win.pacer.pending, timeout=5000)  # drawn in the next pass
    results, shown = dict(win.controller.results), shown_maps(win)
    with qtbot.waitSignal(win.controller.spec_error, timeout=5000) as err:
        win.document.replace_layer(1, default_spec("depthwise", kernel_size=(99, 99), padding=0))
    assert "kernel_size" in str(err.args[0])
    qtbot.wait(100)
    assert win.controller.results == results
    assert all(np.array_equal(a, b) for a, b in zip(shown_maps(win), shown, strict=True))
    assert "kernel_size" in win.cost_view.error_text()
    win.document.undo()  # the previous valid scene is one step away
    with qtbot.waitSignal(win.controller.run_finished, timeout=30000):
        pass


_CRASHER = """
import sys
from pathlib import Path
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
app = QApplication([])
from explorer.core.model.document import SceneDocument
from explorer.core.io.scene import load_scene
from explorer.ui.window.main_window import MainWindow
from explorer.ui.state.settings import AppSettings, make_qsettings
path = Path(sys.argv[1])
doc = SceneDocument(load_scene(path), path)
win = MainWindow(doc, AppSettings(make_qsettings(Path(sys.argv[2]))), autosave=True)
win.autosave._timer.setInterval(100)  # 30 s in the app; the kill comes sooner here
win.autosave.saved.connect(lambda p: print("SAVED", p, flush=True))
win.show()
QTimer.singleShot(300, lambda: doc.replace_layer(0, doc.layers[0].with_changes(out_channels=7)))
app.exec()
"""


def test_autosave_survives_sigkill_and_is_offered_on_next_start(
    qtbot, tmp_path, subprocess_env, monkeypatch
):
    from explorer.ui.app import _offer_autosave

    mine = tmp_path / "mine.json"
    save_scene(small_scene(), mine)
    old = time.time() - 60
    os.utime(mine, (old, old))
    with subprocess.Popen(
        [sys.executable, "-c", _CRASHER, str(mine), str(tmp_path / "s.ini")],
        env=subprocess_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as proc:
        line = proc.stdout.readline()  # blocks until the autosave is written
        proc.send_signal(signal.SIGKILL)  # a crash: no close event, no clean-up
        _, err = proc.communicate(timeout=10)
    assert line.startswith("SAVED"), (line, err)
    assert proc.returncode == -signal.SIGKILL
    data = Path(subprocess_env["CONV_EXPLORER_DATA_DIR"])
    info = find_autosave(data)
    assert info is not None and info.scene_path == mine
    assert load_scene(mine) == small_scene()  # the file on disk was never touched
    # the next start offers it back, as unsaved changes to mine.json
    monkeypatch.setenv("CONV_EXPLORER_DATA_DIR", str(data))
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    doc = SceneDocument()
    _offer_autosave(None, doc)
    assert doc.layers[0].out_channels == 7 and doc.path == mine and doc.dirty


class _HalfWriter:
    """A file whose write stores half the text, then fails as a full disk does."""

    def __init__(self, handle):
        self.handle = handle

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.handle.close()

    def write(self, text):
        self.handle.write(text[: len(text) // 2])
        self.handle.flush()
        raise OSError(errno.ENOSPC, "No space left on device")


@pytest.mark.parametrize("failure", ["mid-write", "rename", "serialise"])
def test_a_failed_save_leaves_the_old_file_whole(tmp_path, monkeypatch, failure):
    path = tmp_path / "scene.json"
    save_scene(small_scene(), path)
    before = path.read_bytes()
    edited = scene_module.Scene(layers=(default_spec("pointwise", out_channels=99),))
    real_fdopen = os.fdopen
    if failure == "mid-write":
        monkeypatch.setattr(os, "fdopen", lambda *a, **k: _HalfWriter(real_fdopen(*a, **k)))
    elif failure == "rename":
        monkeypatch.setattr(
            os, "replace", lambda *a: (_ for _ in ()).throw(OSError(errno.EIO, "I/O error"))
        )
    else:
        from explorer.core.io import scene_dump

        monkeypatch.setattr(
            scene_dump,
            "to_json_text",
            lambda *a: (_ for _ in ()).throw(ValueError("cannot serialise")),
        )
    with pytest.raises((SceneError, ValueError)) as info:
        save_scene(edited, path)
    assert "\n" not in str(info.value)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["scene.json"]  # no temporary left


def test_window_save_failure_keeps_file_and_unsaved_state(
    qtbot, tmp_path, make_window, monkeypatch
):
    path = tmp_path / "scene.json"
    save_scene(small_scene(), path)
    before = path.read_bytes()
    win = make_window(load_scene(path), path)
    win.document.replace_layer(0, default_spec("pointwise", out_channels=9))
    real_fdopen = os.fdopen
    monkeypatch.setattr(os, "fdopen", lambda *a, **k: _HalfWriter(real_fdopen(*a, **k)))
    assert win.files.save() is False
    assert (
        "No space left" in win.files.error_box.text() and "scene.json" in win.files.error_box.text()
    )
    assert path.read_bytes() == before and win.document.dirty
    monkeypatch.undo()
    assert win.files.save() is True and not win.document.dirty
    assert load_scene(path).layers[0].out_channels == 9


@pytest.mark.qt_no_exception_capture
def test_a_bug_in_a_slot_shows_dialog_logs_and_app_keeps_working(
    qtbot, tmp_path, make_window, monkeypatch
):
    win = make_window(small_scene())
    handler = CrashHandler(win, directory=tmp_path, show_dialog=True)
    handler.install()
    try:

        def broken() -> None:
            raise RuntimeError("a bug in show_selected")

        monkeypatch.setattr(win, "show_selected", broken)
        other = 1 if win.document.selected != 1 else 0
        QTimer.singleShot(0, lambda: win.document.select(other))  # as a click would
        qtbot.waitUntil(lambda: handler.dialog is not None, timeout=5000)
    finally:
        handler.uninstall()
    dialog = handler.dialog
    assert dialog.isVisible() and "a bug in show_selected" in handler.last_message
    dialog.copy_button.click()
    assert "RuntimeError: a bug in show_selected" in QApplication.clipboard().text()
    assert "broken" in (tmp_path / "crash.log").read_text()
    dialog.close()
    monkeypatch.undo()
    with qtbot.waitSignal(win.controller.run_finished, timeout=30000):
        win.document.replace_layer(0, default_spec("pointwise", out_channels=3))
    assert win.controller.results[0].output.shape[0] == 3
