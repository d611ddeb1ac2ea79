"""The animation export's thread outlives its object (the window closed while it writes):
it stops and ends quietly, with no exception on the thread (issue 16)."""

from __future__ import annotations

import threading

import pytest
import shiboken6

import explorer.ui.tools.walkthrough.walkthrough_export_ui as export_ui
from explorer.core.analysis.walkthrough import Region
from explorer.core.io.scene import InputSpec, Scene
from explorer.core.model.specs import default_spec

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")


@pytest.fixture
def dock(make_window, qtbot):
    scene = Scene(
        input=InputSpec(image="sample:chelsea", size=32),
        layers=(default_spec("standard", out_channels=6, stride=2, padding=1),),
        seed=5,
    )
    win = make_window(scene)
    dock = win.tools["walkthrough_dock"]
    with qtbot.waitSignal(dock.walk_ready, timeout=20000):
        dock.show()
    return dock


def test_the_export_object_deleted_while_its_thread_writes(dock, qtbot, tmp_path, monkeypatch):
    with qtbot.waitSignal(dock.walk_ready, timeout=20000):
        dock.set_region(Region(2, 2, 4, 4))
    gate, frames_after = threading.Event(), []
    real = export_ui.save_animation

    def slow(walk, path, *, progress, should_cancel, **kw):
        def progress_then_wait(i, n):
            progress(i, n)
            if i == 1:
                gate.wait(10)  # the object is deleted meanwhile
            elif i > 1:
                frames_after.append(i)

        return real(walk, path, progress=progress_then_wait, should_cancel=should_cancel, **kw)

    monkeypatch.setattr(export_ui, "save_animation", slow)
    errors: list[BaseException] = []
    monkeypatch.setattr(threading, "excepthook", lambda args: errors.append(args.exc_value))
    job = export_ui.AnimationExport(dock, tmp_path / "w.gif", 320, 5.0)
    done = job.done
    shiboken6.delete(job)  # as the window's deletion would (the dock is its parent)
    gate.set()
    assert done.wait(30)
    assert errors == []  # emitting on the deleted object raised on the thread before
    assert len(frames_after) <= 1  # it stopped: nobody is left to show the file
