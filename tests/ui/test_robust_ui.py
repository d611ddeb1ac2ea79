"""Staying alive: crash hook and log, autosave and its restore offer, bad files."""

from __future__ import annotations

import os
import threading
import time

import pytest
from PySide6.QtCore import QTimer

from explorer.core.document import SceneDocument
from explorer.core.scene import Scene, load_scene
from explorer.core.specs import default_spec
from explorer.ui import crash
from explorer.ui.crash import Autosave, CrashHandler, data_dir, discard_autosave, find_autosave

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
    from explorer.core.scene import save_scene

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
    from explorer.core.scene import save_scene

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
