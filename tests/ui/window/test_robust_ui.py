"""Staying alive: crash hook and log, autosave and its restore offer, bad files."""

from __future__ import annotations

import os
import threading
import time

import pytest
from PySide6.QtCore import QTimer

from explorer.core.io.scene import Scene, load_scene
from explorer.core.model.document import SceneDocument
from explorer.core.model.specs import default_spec
from explorer.ui.window import crash
from explorer.ui.window.crash import (
    Autosave,
    CrashHandler,
    data_dir,
    discard_autosave,
    find_autosave,
)

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")


def test_data_dir_is_temporary_in_tests_and_can_be_overridden(tmp_path, monkeypatch):
    assert "conv-explorer-data-" in str(data_dir())
    monkeypatch.setenv("CONV_EXPLORER_DATA_DIR", str(tmp_path / "d"))
    assert data_dir() == tmp_path / "d" and data_dir().is_dir()


def test_exception_in_a_slot_is_logged_and_the_app_keeps_running(qtbot, tmp_path):
    handler = CrashHandler(directory=tmp_path, show_dialog=False)
    handler.install()
    try:
        reported = []
        handler.error_reported.connect(lambda m, d: reported.append((m, d)))

        def broken_slot():
            raise ZeroDivisionError("the bug")

        QTimer.singleShot(0, broken_slot)
        qtbot.waitUntil(lambda: bool(reported), timeout=3000)
        ticks = []
        QTimer.singleShot(0, lambda: ticks.append(1))
        qtbot.waitUntil(lambda: bool(ticks), timeout=1000)  # still turning

        def thread_bug():
            raise KeyError("in a thread")

        t = threading.Thread(target=thread_bug)
        t.start()
        t.join()
        qtbot.waitUntil(lambda: len(reported) == 2, timeout=3000)
    finally:
        handler.uninstall()
    assert reported[0][0] == "ZeroDivisionError: the bug"
    assert "broken_slot" in reported[0][1]
    assert reported[1][0] == "KeyError: 'in a thread'"
    log = (tmp_path / "crash.log").read_text()
    assert "ZeroDivisionError: the bug" in log and "thread_bug" in log


def test_crash_dialog_has_copy_details(qtbot, tmp_path):
    handler = CrashHandler(directory=tmp_path, show_dialog=True)
    try:
        raise ValueError("shown")
    except ValueError as err:
        handler.excepthook(type(err), err, err.__traceback__)
    box = handler.dialog
    assert box is not None and box.isVisible()
    box.copy_button.click()
    from PySide6.QtWidgets import QApplication

    assert "ValueError: shown" in QApplication.clipboard().text()
    assert box.isVisible()  # copying does not close it
    box.close()


def test_autosave_writes_when_dirty_and_is_offered_back(qtbot, tmp_path):
    scene_file = tmp_path / "mine.json"
    doc = SceneDocument(Scene(layers=(default_spec("pointwise", out_channels=4),)), scene_file)
    from explorer.core.io.scene import save_scene

    save_scene(doc.scene, scene_file)
    old = time.time() - 100
    os.utime(scene_file, (old, old))
    auto_dir = tmp_path / "data"
    auto_dir.mkdir()
    autosave = Autosave(doc, directory=auto_dir, interval_ms=20)
    qtbot.wait(60)
    assert find_autosave(auto_dir) is None  # clean: nothing written
    doc.replace_layer(0, doc.layers[0].with_changes(out_channels=12))
    with qtbot.waitSignal(autosave.saved, timeout=2000):
        pass
    info = find_autosave(auto_dir)
    assert info is not None and info.scene_path == scene_file
    assert load_scene(info.path) == doc.scene
    # Saving the scene makes the autosave obsolete.
    doc.mark_saved()
    assert find_autosave(auto_dir) is None
    autosave.stop()


def test_autosave_older_than_the_scene_file_is_not_offered(tmp_path):
    scene_file = tmp_path / "mine.json"
    from explorer.core.io.scene import save_scene

    scene = Scene(layers=(default_spec("depthwise"),))
    save_scene(scene, tmp_path / crash.AUTOSAVE_NAME)
    (tmp_path / crash.AUTOSAVE_INFO).write_text(f'{{"scene_path": "{scene_file}"}}')
    old = time.time() - 100
    os.utime(tmp_path / crash.AUTOSAVE_NAME, (old, old))
    save_scene(scene, scene_file)
    assert find_autosave(tmp_path) is None
    os.utime(scene_file, (old - 50, old - 50))
    assert find_autosave(tmp_path) is not None
    discard_autosave(tmp_path)
    assert find_autosave(tmp_path) is None


def test_initial_scene_given_last_or_bundled(tmp_path):
    from explorer.core.io.samples import scene_path
    from explorer.core.io.scene import save_scene
    from explorer.ui.app import initial_scene
    from explorer.ui.state.settings import AppSettings, make_qsettings

    settings = AppSettings(make_qsettings(tmp_path / "s.ini"))
    scene, path, problem = initial_scene(None, settings)
    assert scene == load_scene(scene_path("default")) and path is None and problem is None
    mine = tmp_path / "mine.json"
    save_scene(Scene(layers=(default_spec("pointwise"),)), mine)
    settings.last_scene = mine
    scene, path, problem = initial_scene(None, settings)
    assert path == mine.resolve() and scene.layers[0].kind == "pointwise"
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "something else"}')
    scene, path, problem = initial_scene(bad, settings)
    assert path is None and scene == load_scene(scene_path("default"))
    assert problem and "bad.json" in problem


def test_restore_offer_puts_autosave_back_as_unsaved(qtbot, tmp_path, monkeypatch):
    from PySide6.QtWidgets import QMessageBox

    from explorer.core.io.scene import save_scene
    from explorer.ui.app import _offer_autosave

    monkeypatch.setenv("CONV_EXPLORER_DATA_DIR", str(tmp_path))
    saved = Scene(layers=(default_spec("standard"),))
    mine = tmp_path / "mine.json"
    save_scene(saved, mine)
    old = time.time() - 100
    os.utime(mine, (old, old))
    edited = Scene(layers=(default_spec("standard", out_channels=99),))
    save_scene(edited, tmp_path / crash.AUTOSAVE_NAME)
    (tmp_path / crash.AUTOSAVE_INFO).write_text(f'{{"scene_path": "{mine}"}}')
    doc = SceneDocument()
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    _offer_autosave(None, doc)
    assert doc.scene == edited and doc.path == mine and doc.dirty
    doc.undo()
    assert doc.scene == saved and not doc.dirty
    # Declining deletes it.
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.No)
    _offer_autosave(None, SceneDocument())
    assert find_autosave(tmp_path) is None


def test_run_over_memory_limit_is_reported_window_keeps_going(qtbot, tmp_path, monkeypatch):
    from PySide6.QtWidgets import QMessageBox

    from explorer.core.io.scene import InputSpec
    from explorer.ui.state.settings import AppSettings, make_qsettings
    from explorer.ui.window.main_window import MainWindow

    monkeypatch.setenv("CONV_EXPLORER_MEMORY_LIMIT_MB", "1")
    doc = SceneDocument(
        Scene(
            input=InputSpec(shape=(64, 64, 64)),
            layers=(default_spec("pointwise", out_channels=128),),
        )
    )
    win = MainWindow(doc, AppSettings(make_qsettings(tmp_path / "s.ini")), autosave=False)
    win.files.ask_save = lambda: QMessageBox.StandardButton.Discard
    qtbot.addWidget(win)
    with qtbot.waitSignal(win.controller.run_failed, timeout=30000) as blocker:
        win.show()
    assert "limit" in blocker.args[0]
    assert win.cost_view.error_text() == blocker.args[0]
    assert win.status_text.text() == "not run"
    assert doc.layers[0].out_channels == 128
    qtbot.waitUntil(lambda: not win.controller.busy, timeout=5000)
    # Shrinking the layer runs again.
    monkeypatch.setenv("CONV_EXPLORER_MEMORY_LIMIT_MB", "512")
    with qtbot.waitSignal(win.controller.run_finished, timeout=30000):
        doc.replace_layer(0, doc.layers[0].with_changes(out_channels=8))
    win.shutdown()
