"""A window held unpainted and let go paints again (Qt kept its dirt and waited for a
request that had already come and gone)."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QMainWindow
from ui_helpers import PaintCount

from explorer.ui.widgets.paint_hold import resume_painting


def test_a_window_marked_dirty_then_held_paints_after_resume_painting(qtbot):
    win = QMainWindow()
    label = QLabel("before")
    win.setCentralWidget(label)
    qtbot.addWidget(win)
    win.resize(300, 200)
    win.show()
    qtbot.waitExposed(win)
    paints = PaintCount()
    try:
        win.update()  # the whole window dirty: Qt posts its update request
        win.setUpdatesEnabled(False)  # held before the request arrives
        qtbot.wait(30)  # the request comes while held: nothing painted, the dirt kept
        resume_painting(win)
        label.setText("after")
        before = paints.count
        qtbot.waitUntil(lambda: paints.count > before, timeout=2000)
    finally:
        paints.close()


def test_resume_painting_ignores_a_deleted_widget(qtbot):
    import shiboken6

    label = QLabel("gone")
    shiboken6.delete(label)
    resume_painting(label)  # no RuntimeError
