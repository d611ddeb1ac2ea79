"""Presentation mode entered and left in turns: each turn short, the window painted once,
and a consistent state whatever order F11, Esc and the menu come in."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from explorer.ui.tools.present.font_scale import font_size


class PassLog:
    """Records, on every pass of the event loop, whether the window may paint, the app
    font's size and whether the cost dock is shown (whether it paints at all after being
    held: test_the_window_still_paints_while_presenting_and_after_leaving)."""

    def __init__(self, win) -> None:
        self.passes: list[tuple[bool, float, bool]] = []
        self.timer = QTimer(interval=0)
        self.timer.timeout.connect(
            lambda: self.passes.append(
                (
                    win.updatesEnabled(),
                    font_size(QApplication.font()),
                    win.cost_dock.isVisibleTo(win),
                )
            )
        )
        self.timer.start()

    def close(self) -> None:
        self.timer.stop()

    def holds(self) -> int:
        """How many times the window was held unpainted and let go."""
        may_paint = [paint for paint, _, _ in self.passes]
        return sum(1 for a, b in zip(may_paint, may_paint[1:], strict=False) if not a and b)


def normal_state(win) -> dict[str, object]:
    return {
        "font": font_size(QApplication.font()),
        "bars": (win.menuBar().isVisible(), win.statusBar().isVisible()),
        "panels": (win.cost_dock.isVisible(), win.input_panel.isVisible()),
        "full screen": win.isFullScreen(),
        # not the size: the offscreen screen (800 px) is narrower than the window's minimum,
        # and Qt fits a restored geometry to the screen (the one-turn leave did so too)
        "page": win.tools["presentation"].host.maps_view.page_size,
        "updates": win.updatesEnabled(),
    }


def finished(win) -> bool:
    p = win.tools["presentation"]
    return win.updatesEnabled() and not p.leaving and not p._fonts_pending


def enter_and_settle(qtbot, win) -> None:
    win.tools["presentation"].toggle_action.trigger()
    qtbot.waitUntil(lambda: finished(win), timeout=5000)
    qtbot.wait(50)  # the items' rescale


def test_the_menu_leaves_in_two_turns_fonts_first_then_the_layout_painted_once(qtbot, window):
    """The fonts go back while the panels are still hidden (their relayout waits until
    they are shown), the layout on the next turn, and no paint shows the half-way state.
    The old leave did everything in one turn."""
    presentation = window.tools["presentation"]
    before = normal_state(window)
    enter_and_settle(qtbot, window)
    log = PassLog(window)
    try:
        presentation.toggle_action.trigger()  # View ▸ Presentation Mode, checked: leave
        assert not presentation.active and not presentation.toggle_action.isChecked()
        assert font_size(QApplication.font()) == pytest.approx(before["font"])  # this turn
        assert not window.cost_dock.isVisibleTo(window)  # the layout: the next turn
        assert not window.menuBar().isVisibleTo(window)
        assert presentation.leaving and not window.updatesEnabled()
        qtbot.waitUntil(lambda: finished(window), timeout=5000)
        qtbot.wait(50)
        assert normal_state(window) == before
    finally:
        log.close()
    assert log.passes[0][:1] == (False,), "held from the first pass"
    assert log.holds() == 1, "let go once"
    for may_paint, size, shown in log.passes:
        if may_paint:  # no paint shows the half-way state
            assert shown and size == pytest.approx(before["font"])


def test_esc_and_shift_esc_leave_in_turns_too(qtbot, window):
    presentation = window.tools["presentation"]
    before = normal_state(window)
    for mods in (Qt.KeyboardModifier.NoModifier, Qt.KeyboardModifier.ShiftModifier):
        enter_and_settle(qtbot, window)
        window.feature_grid.graphics_view().setFocus()
        QTest.keyClick(window.feature_grid.graphics_view(), Qt.Key.Key_Escape, mods)
        assert not presentation.active and presentation.leaving
        qtbot.waitUntil(lambda: finished(window), timeout=5000)
        assert normal_state(window) == before


def test_entering_again_before_the_layout_turn_keeps_what_leaving_puts_back(qtbot, window):
    """F11, F11, F11 within one pass of the event loop: the second enter must not take the
    presentation layout (panels hidden, full screen) for the one to put back."""
    presentation = window.tools["presentation"]
    before = normal_state(window)
    enter_and_settle(qtbot, window)
    presentation.toggle_action.trigger()  # leave: fonts now, the layout pending
    assert presentation.leaving
    presentation.toggle_action.trigger()  # enter again before the layout's turn
    assert presentation.active and not presentation.leaving
    qtbot.waitUntil(lambda: finished(window), timeout=5000)
    qtbot.wait(50)
    assert font_size(QApplication.font()) > before["font"]  # presenting, fonts scaled
    assert not window.cost_dock.isVisible() and not window.menuBar().isVisible()
    assert presentation.host.maps_view.page_size < before["page"]
    presentation.toggle_action.trigger()
    qtbot.waitUntil(lambda: finished(window), timeout=5000)
    assert normal_state(window) == before  # the original layout, not the presenting one


@pytest.mark.parametrize("sequence", ["enter leave enter", "enter leave enter leave"])
def test_quick_succession_ends_consistent(qtbot, window, sequence):
    """Every enter and leave right after the other (no turn in between): the state the
    last one asks for, with no half-scaled fonts and the window painting again."""
    presentation = window.tools["presentation"]
    before = normal_state(window)
    for word in sequence.split():
        presentation.toggle_action.trigger()
        assert presentation.active == (word == "enter")
    qtbot.waitUntil(lambda: finished(window), timeout=5000)
    qtbot.wait(50)
    if sequence.endswith("leave"):
        assert normal_state(window) == before
    else:
        assert presentation.active and window.updatesEnabled()
        assert font_size(QApplication.font()) == pytest.approx(before["font"] * presentation.scale)
        assert not window.cost_dock.isVisible() and presentation.cost_line.isVisible()
        presentation.leave()  # at once (not in turns): everything back in this call
        assert not presentation.leaving
        qtbot.waitUntil(window.updatesEnabled, timeout=5000)
        assert normal_state(window) == before


def test_the_window_still_paints_while_presenting_and_after_leaving(qtbot, window):
    """Held unpainted while entering, the window had been marked dirty just before; Qt then
    waited for an update request that had come and gone, and the window never painted again
    (under X11 too) until something exposed it."""
    from ui_helpers import PaintCount

    presentation = window.tools["presentation"]
    paints = PaintCount()
    try:
        for step in ("presenting", "after leaving"):
            if step == "presenting":
                enter_and_settle(qtbot, window)
            else:
                presentation.toggle_action.trigger()
                qtbot.waitUntil(lambda: finished(window), timeout=5000)
                qtbot.wait(50)
            before = paints.count
            window.feature_grid.update()
            qtbot.waitUntil(lambda b=before: paints.count > b, timeout=3000)
    finally:
        paints.close()
