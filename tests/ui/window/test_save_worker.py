"""File ▸ Save encodes and writes on a thread of its own (issue 16: a scene with big
hand-set weights held the GUI thread for 0.16-0.39 s), and the order of events around it
keeps the document's saved state right."""

from __future__ import annotations

import threading

import pytest
from PySide6.QtWidgets import QMessageBox

from explorer.core.io.scene import InputSpec, Scene, load_scene
from explorer.core.model.specs import default_spec
from explorer.ui.window import scene_writer


def _scene() -> Scene:
    return Scene(
        layers=(default_spec("pointwise", out_channels=4),), input=InputSpec(shape=(3, 8, 8))
    )


@pytest.fixture
def gate(monkeypatch) -> dict:
    """Scene writes wait until ``gate["go"]`` is set (at most 5 s) and note their thread."""
    go = threading.Event()
    threads: list[threading.Thread] = []
    real = scene_writer._save_scene

    def slow(scene, path):
        threads.append(threading.current_thread())
        go.wait(5)
        real(scene, path)

    monkeypatch.setattr(scene_writer, "_save_scene", slow)
    return {"go": go, "threads": threads}


def _edit(win, channels: int) -> None:
    win.document.replace_layer(0, win.document.layers[0].with_changes(out_channels=channels))


def test_menu_save_writes_on_a_worker_and_marks_saved_when_written(
    make_window, qtbot, tmp_path, gate
):
    win = make_window(_scene())
    _edit(win, 6)
    path = tmp_path / "mine.json"
    assert win.files.save_as(path, background=True)
    # in flight: nothing marked yet, Save disabled, the status bar says so
    assert win.files.saving and win.document.dirty and win.document.path is None
    assert not win.actions.save.isEnabled() and not win.actions.save_as.isEnabled()
    assert "Saving mine.json" in win.statusBar().currentMessage()
    assert not win.files.save_as(tmp_path / "other.json", background=True)  # one at a time
    with qtbot.waitSignal(win.files.writer.written, timeout=5000):
        gate["go"].set()
    assert gate["threads"] and gate["threads"][0] is not threading.main_thread()
    assert not win.document.dirty and win.document.path == path
    assert win.actions.save.isEnabled() and win.actions.save_as.isEnabled()
    assert win.settings.recent_files()[0] == path
    assert load_scene(path).layers[0].out_channels == 6
    assert not (tmp_path / "other.json").exists()


def test_an_edit_during_the_write_stays_unsaved_and_undo_makes_it_clean(
    make_window, qtbot, tmp_path, gate
):
    win = make_window(_scene())
    _edit(win, 6)
    path = tmp_path / "mine.json"
    assert win.files.save_as(path, background=True)
    # while the scene as it was is being written (another field: its own undo step)
    win.document.replace_layer(0, win.document.layers[0].with_changes(bias=False))
    with qtbot.waitSignal(win.files.writer.written, timeout=5000):
        gate["go"].set()
    assert load_scene(path).layers[0].bias is True
    assert win.document.dirty and win.document.path == path  # the edit is not in the file
    win.document.undo()
    assert not win.document.dirty  # back at what the file holds


def test_closing_during_a_write_waits_for_it_and_asks_nothing(make_window, qtbot, tmp_path, gate):
    win = make_window(_scene())
    asked = []
    win.files.ask_save = lambda: asked.append(1) or QMessageBox.StandardButton.Discard
    _edit(win, 6)
    path = tmp_path / "mine.json"
    assert win.files.save_as(path, background=True)
    threading.Timer(0.2, gate["go"].set).start()
    assert win.close()
    assert asked == []  # the write ended first: nothing unsaved to ask about
    assert load_scene(path).layers[0].out_channels == 6 and not win.document.dirty


def test_opening_another_scene_during_a_write_asks_about_later_edits_only(
    make_window, qtbot, tmp_path, gate
):
    win = make_window(_scene())
    asked = []
    win.files.ask_save = lambda: asked.append(1) or QMessageBox.StandardButton.Cancel
    _edit(win, 6)
    assert win.files.save_as(tmp_path / "mine.json", background=True)
    _edit(win, 7)
    threading.Timer(0.2, gate["go"].set).start()
    assert not win.files.maybe_save()  # waited for the write, then asked about the 7
    assert asked == [1] and win.document.layers[0].out_channels == 7


def test_a_failed_background_save_reports_and_keeps_the_scene_unsaved(make_window, qtbot, tmp_path):
    win = make_window(_scene())
    _edit(win, 6)
    path = tmp_path / "no such folder" / "mine.json"
    with qtbot.waitSignal(win.files.writer.failed, timeout=5000):
        assert win.files.save_as(path, background=True)
    box = win.files.error_box
    assert box.windowTitle() == "Cannot save the scene" and "mine.json" in box.text()
    assert win.document.dirty and win.document.path is None
    assert win.actions.save.isEnabled()


def test_the_save_action_saves_in_the_background(make_window, qtbot, tmp_path, gate):
    from explorer.core.io.scene import save_scene

    path = tmp_path / "mine.json"
    save_scene(_scene(), path)
    win = make_window(load_scene(path))
    win.document.reset(load_scene(path), path)
    _edit(win, 5)
    win.actions.save.trigger()
    assert win.files.saving and win.document.dirty  # returned before the write
    with qtbot.waitSignal(win.files.writer.written, timeout=5000):
        gate["go"].set()
    assert not win.document.dirty and load_scene(path).layers[0].out_channels == 5


def test_wait_delivers_the_outcome_once(qtbot, tmp_path):
    writer = scene_writer.SceneWriter()
    seen = []
    writer.written.connect(seen.append)
    assert writer.write(_scene(), tmp_path / "a.json")
    assert writer.wait(5) and not writer.busy
    assert [o.path.name for o in seen] == ["a.json"]
    qtbot.wait(100)  # the worker's queued result arrives too: not delivered again
    assert len(seen) == 1
    writer.shutdown()


def test_a_scene_loaded_during_the_write_is_not_marked_with_it(make_window, qtbot, tmp_path, gate):
    """A lesson slide loaded without asking (the document reset) while the old scene is being
    written: the file is written, but the new scene keeps its own file and state."""
    win = make_window(_scene())
    _edit(win, 6)
    path = tmp_path / "mine.json"
    assert win.files.save_as(path, background=True)
    other = tmp_path / "slide.json"
    win.document.reset(_scene(), other)
    _edit(win, 3)
    with qtbot.waitSignal(win.files.writer.written, timeout=5000):
        gate["go"].set()
    assert load_scene(path).layers[0].out_channels == 6
    assert win.document.path == other and win.document.dirty
