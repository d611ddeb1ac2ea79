"""The status bar's busy bar shows only for a run still on after BUSY_BAR_DELAY_MS (issue
13, update latency): a quick run made it flash, and each show and hide re-laid-out and
repainted the status bar inside the edit's latency."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject
from ui_helpers import wait_run

from explorer.core.io.scene import InputSpec, Scene
from explorer.core.model.specs import default_spec
from explorer.ui.widgets.busy_bar import BUSY_BAR_DELAY_MS


class _Shows(QObject):
    def __init__(self) -> None:
        super().__init__()
        self.count = 0

    def eventFilter(self, obj, event):  # noqa: N802 - Qt hook
        if event.type() == QEvent.Type.Show:
            self.count += 1
        return False


def test_a_quick_run_never_shows_the_busy_bar_and_a_long_wait_does(make_window, qtbot):
    scene = Scene(
        layers=(default_spec("pointwise", out_channels=4),),
        input=InputSpec(shape=(3, 8, 8)),
    )
    win = make_window(scene)
    shows = _Shows()
    win.busy_bar.installEventFilter(shows)
    doc = win.document
    for out in (5, 6, 7):
        doc.replace_layer(0, doc.layers[0].with_changes(out_channels=out))
        wait_run(qtbot, win)
    assert shows.count == 0 and not win.busy_bar.isVisible()
    # a run held back (as at start-up) is busy for longer: the bar shows, then goes
    win.controller.hold()
    doc.replace_layer(0, doc.layers[0].with_changes(out_channels=8))
    assert win.actions.cancel_run.isEnabled()  # Esc works at once
    qtbot.wait(BUSY_BAR_DELAY_MS + 100)
    assert win.busy_bar.isVisible()
    win.controller.release()
    wait_run(qtbot, win)
    assert not win.busy_bar.isVisible()
