"""An ordinary edit re-lays-out nothing while its run waits (issue 13, update latency): the
stale-result banners used to show and hide again on every edit, because the controller
told its listeners the new costs before it said a run was on its way."""

from __future__ import annotations

import pytest
from PySide6 import QtCore
from ui_helpers import wait_run

from explorer.core.io.scene import InputSpec, Scene
from explorer.core.model.specs import default_spec

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")


class _Shows(QtCore.QObject):
    def __init__(self, widgets) -> None:
        super().__init__()
        self.count = 0
        for w in widgets:
            w.installEventFilter(self)

    def eventFilter(self, obj, event):  # noqa: N802 - Qt hook
        if event.type() == QtCore.QEvent.Type.Show:
            self.count += 1
        return False


def test_an_edit_tells_its_costs_with_a_run_on_its_way_and_flashes_no_banner(qtbot, make_window):
    layers = (default_spec("standard", out_channels=4), default_spec("pointwise", out_channels=6))
    win = make_window(Scene(input=InputSpec(image="sample:chelsea", size=32), layers=layers))
    win.document.select(1)
    wait_run(qtbot, win)
    c = win.controller
    busy_when_told: list[bool] = []
    c.costs_changed.connect(lambda *_: busy_when_told.append(c.busy))
    marker = win.tools["stale_marker"]
    shows = _Shows(marker.banners)
    doc = win.document
    for out in (7, 8, 9):
        doc.replace_layer(1, doc.layers[1].with_changes(out_channels=out))
        wait_run(qtbot, win)
        assert win.weight_view.image_items()["weight"].image.shape == (out, 4)
    assert busy_when_told == [True, True, True]
    assert shows.count == 0 and marker.text == ""
    # a refused edit still shows them (nothing runs)
    doc.replace_layer(0, doc.layers[0].with_changes(groups=4))
    assert all(b.isVisible() for b in marker.banners)
    timer = win.tools["layer_timing"]
    qtbot.waitUntil(lambda: not timer.busy, timeout=30000)
