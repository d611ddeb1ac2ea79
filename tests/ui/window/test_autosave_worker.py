"""The autosave timer writes on a worker thread (issue 16: encoding a scene with big
hand-set weights held the GUI thread for a fraction of a second every 30 s), and a write
that ends after the scene was saved leaves no autosave behind."""

from __future__ import annotations

import threading

import pytest

from explorer.core.io.scene import Scene, load_scene
from explorer.core.model.document import SceneDocument
from explorer.core.model.specs import default_spec
from explorer.ui.window import crash
from explorer.ui.window.crash import Autosave, find_autosave


def _dirty_document(tmp_path) -> SceneDocument:
    doc = SceneDocument(Scene(layers=(default_spec("pointwise", out_channels=4),)))
    doc.replace_layer(0, doc.layers[0].with_changes(out_channels=12))
    return doc


def test_the_timer_writes_the_autosave_on_another_thread(qtbot, tmp_path, monkeypatch):
    threads = []
    write = crash._write_autosave

    def recording(*args):
        threads.append(threading.current_thread())
        return write(*args)

    monkeypatch.setattr(crash, "_write_autosave", recording)
    doc = _dirty_document(tmp_path)
    autosave = Autosave(doc, directory=tmp_path, interval_ms=60_000)
    with qtbot.waitSignal(autosave.saved, timeout=5000):
        assert autosave.save_soon()
    assert threads and threads[0] is not threading.main_thread()
    info = find_autosave(tmp_path)
    assert info is not None and load_scene(info.path) == doc.scene
    assert not autosave.save_soon()  # nothing new to write
    autosave.stop()


@pytest.fixture
def release(monkeypatch) -> threading.Event:
    """Autosave writes wait until the returned event is set (at most 5 s)."""
    event = threading.Event()
    write = crash._write_autosave

    def slow(*args):
        event.wait(5)
        return write(*args)

    monkeypatch.setattr(crash, "_write_autosave", slow)
    return event


def test_a_write_that_ends_after_a_save_leaves_no_autosave(qtbot, tmp_path, release):
    doc = _dirty_document(tmp_path)
    autosave = Autosave(doc, directory=tmp_path, interval_ms=60_000)
    assert autosave.save_soon() and autosave.writing
    doc.mark_saved(tmp_path / "mine.json")  # saved while the autosave is being written
    release.set()
    qtbot.waitUntil(lambda: not autosave.writing, timeout=5000)
    assert find_autosave(tmp_path) is None
    autosave.stop()


def test_stop_waits_for_a_write_in_flight_before_discarding(qtbot, tmp_path, release):
    autosave = Autosave(_dirty_document(tmp_path), directory=tmp_path, interval_ms=60_000)
    assert autosave.save_soon()
    threading.Timer(0.2, release.set).start()
    autosave.stop(discard=True)
    assert find_autosave(tmp_path) is None
    assert not (tmp_path / crash.AUTOSAVE_NAME).exists()
