"""Opening a scene from the menu, Open Recent or a drop reads it on a worker (issue 16)."""

from __future__ import annotations

import threading

import numpy as np
from PySide6.QtWidgets import QMessageBox

from explorer.core.io.scene import InputSpec, Scene, load_scene, save_scene
from explorer.core.model.specs import default_spec
from explorer.ui.window import scene_loader


def small(kind: str = "pointwise", **fields) -> Scene:
    return Scene(input=InputSpec(shape=(3, 12, 12)), layers=(default_spec(kind, **fields),))


def spy_threads(monkeypatch) -> list[threading.Thread]:
    """Record the thread each scene file is read on."""
    seen: list[threading.Thread] = []
    real = scene_loader.read_scene

    def spy(*args, **kwargs):
        seen.append(threading.current_thread())
        return real(*args, **kwargs)

    monkeypatch.setattr(scene_loader, "read_scene", spy)
    return seen


def recent_action(win, path):
    win.settings.add_recent(path)
    win.actions.update_recent()
    (action,) = [a for a in win.actions.recent_menu.actions() if a.statusTip() == str(path)]
    return action


def test_open_recent_reads_the_file_on_a_worker(qtbot, make_window, tmp_path, monkeypatch):
    win = make_window(small("standard", out_channels=2))
    doc = win.document
    path = tmp_path / "other.json"
    save_scene(small("depthwise"), path)
    seen = spy_threads(monkeypatch)
    with qtbot.waitSignal(win.files.loader.finished, timeout=10000) as got:
        recent_action(win, path.resolve()).trigger()
        assert doc.layers[0].kind == "standard"  # not swapped in on the GUI thread's turn
    assert seen and seen[0] is not threading.main_thread()
    assert got.args[0].path == path.resolve()
    assert doc.scene == load_scene(path) and doc.path == path.resolve() and not doc.dirty
    assert win.statusBar().currentMessage() == "Opened other.json"
    assert win.settings.recent_files()[0] == path.resolve()


def test_the_menu_and_a_drop_use_the_worker_too(qtbot, make_window, tmp_path, monkeypatch):
    from PySide6.QtWidgets import QFileDialog
    from test_window import drop

    win = make_window(small())
    first, second = tmp_path / "a.json", tmp_path / "b.json"
    save_scene(small("depthwise"), first)
    save_scene(small("standard", out_channels=3), second)
    seen = spy_threads(monkeypatch)
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(first), ""))
    with qtbot.waitSignal(win.files.loader.finished, timeout=10000):
        win.actions.open_scene.trigger()
    assert win.document.path == first.resolve()
    with qtbot.waitSignal(win.files.loader.finished, timeout=10000):
        drop(win, second)
    assert win.document.path == second.resolve() and win.document.layers[0].out_channels == 3
    assert len(seen) == 2 and threading.main_thread() not in seen


def test_a_missing_recent_file_is_refused_and_leaves_the_menu(qtbot, make_window, tmp_path):
    win = make_window(small())
    held = win.document.scene
    gone = (tmp_path / "gone.json").resolve()
    save_scene(small("depthwise"), gone)
    action = recent_action(win, gone)
    gone.unlink()
    with qtbot.waitSignal(win.files.loader.finished, timeout=10000) as got:
        action.trigger()
    assert isinstance(got.args[0], scene_loader.LoadFailed)
    assert win.document.scene == held and win.document.path is None
    assert "gone.json" in win.files.error_box.text()
    assert gone not in win.settings.recent_files()


def test_a_file_that_does_not_run_opens_with_its_problem(qtbot, make_window, tmp_path):
    win = make_window(small())
    path = tmp_path / "groups.json"
    save_scene(small("standard", out_channels=4, groups=2), path)  # 3 channels in
    with qtbot.waitSignal(win.files.loader.finished, timeout=10000) as got:
        win.files.open_scene(path, background=True)
    assert "groups" in got.args[0].problem
    assert win.document.scene == load_scene(path, validate=False)
    assert "does not run as it is" in win.statusBar().currentMessage()
    assert win.controller.error is not None and win.controller.error.field == "groups"


def test_weights_that_do_not_fit_are_dropped_as_an_undo_step(qtbot, make_window, tmp_path):
    from explorer.core.model.specs import InlineTensor

    win = make_window(small())
    doc = win.document
    wrong = InlineTensor((4, 7, 1, 1), tuple(np.ones(28, dtype=float)))
    spec = default_spec("pointwise", out_channels=4).with_changes(weights=(("weight", wrong),))
    path = tmp_path / "misfit.json"
    save_scene(Scene(input=InputSpec(shape=(3, 12, 12)), layers=(spec,)), path)
    with qtbot.waitSignal(doc.adjusted, timeout=10000) as notes:
        win.files.open_scene(path, background=True)
    assert "dropped the set weight [4, 7, 1, 1]" in " ".join(notes.args[0])
    assert doc.layers[0].weights == () and doc.dirty
    assert doc.undo() and doc.scene == load_scene(path, validate=False)


def test_an_edit_made_while_the_file_is_read_is_asked_about(qtbot, make_window, tmp_path):
    win = make_window(small())
    doc = win.document
    path = tmp_path / "other.json"
    save_scene(small("depthwise"), path)
    asked = []

    def cancel():
        asked.append(True)
        return QMessageBox.StandardButton.Cancel

    win.files.ask_save = cancel
    win.files.open_scene(path, background=True)  # clean: nothing asked yet
    assert not asked
    doc.replace_layer(0, doc.layers[0].with_changes(out_channels=9))  # before it arrives
    qtbot.waitUntil(lambda: not win.files.loader.busy, timeout=10000)
    assert asked and doc.layers[0].out_channels == 9 and doc.path is None


def test_an_example_scene_is_read_on_a_worker_and_opens_untitled(qtbot, make_window, monkeypatch):
    """Example Scenes ▸ PaddleOCR (23 trained layers): the JSON is read and checked on the
    loader's worker, not in the menu's turn; it opens as a new untitled scene, not in
    Open Recent."""
    from explorer.core.io.samples import scene_path

    win = make_window(small("standard", out_channels=2))
    doc = win.document
    seen = spy_threads(monkeypatch)
    (action,) = [a for a in win.actions.lessons_menu.actions() if a.text().startswith("PaddleOCR")]
    with qtbot.waitSignal(win.files.loader.finished, timeout=20000) as got:
        action.trigger()
        assert doc.layers[0].kind == "standard"  # not swapped in on the GUI thread's turn
    assert seen and seen[0] is not threading.main_thread()
    assert got.args[0].untitled
    assert doc.scene == load_scene(scene_path("paddleocr_cls"))
    assert doc.path is None and not doc.dirty
    assert scene_path("paddleocr_cls").resolve() not in win.settings.recent_files()
    assert win.statusBar().currentMessage() == ""
