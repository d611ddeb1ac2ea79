"""Presentation mode's turns each in a pass of the event loop of its own: a timer (the
heartbeat a user sees as frames and input) gets its turn between any two of them, and F11
or Esc between any two ends in a consistent state.

``QTimer.singleShot(0)`` is a posted event: Qt runs it in the same pass as the posted events
before it, before the timers' phase, so turns chained with it filled one gap of the GUI
thread (35-50 ms) however short each was."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication, QWidget

from explorer.ui.tools.present.font_scale import font_size

#: The turns after the action's own, in order, for each action.
TURNS = {
    "enter": ("_scale_fonts", "_scale_views", "_refresh"),
    "leave": ("_restore_widget_fonts", "_restore_layout"),
    "scale": ("_scale_widgets", "_refresh"),
}


class TurnLog:
    """Records the turns of presentation mode (by name) and the ticks of a 0 ms timer,
    which fires once in each timers' phase of the event loop."""

    def __init__(self, presentation, monkeypatch) -> None:
        self.log: list[str] = []
        for name in {n for names in TURNS.values() for n in names}:
            method = getattr(presentation, name)

            def wrapped(*args, _method=method, _name=name, **kwargs):
                self.log.append(_name)
                return _method(*args, **kwargs)

            monkeypatch.setattr(presentation, name, wrapped)
        self.timer = QTimer(interval=0)
        self.timer.timeout.connect(lambda: self.log.append("tick"))

    def start(self) -> None:
        self.log.clear()
        self.log.append("action")
        self.timer.start()

    def close(self) -> None:
        self.timer.stop()

    def turns(self) -> list[str]:
        return [entry for entry in self.log if entry != "tick"]


def finished(win) -> bool:
    p = win.tools["presentation"]
    return (
        win.updatesEnabled()
        and not p.leaving
        and not p._fonts_pending
        and not p.fonts.widgets_pending
        and not p._rescale_timer.isActive()
    )


@pytest.mark.parametrize("action", ["enter", "scale", "leave"])
def test_each_turn_runs_in_a_pass_of_its_own(qtbot, window, monkeypatch, action):
    """Between the action and each of its later turns a timer ticks: the old code ran the
    fonts' turn (a posted ``singleShot(0)``) in the same pass as the action's."""
    presentation = window.tools["presentation"]
    log = TurnLog(presentation, monkeypatch)
    if action != "enter":
        presentation.toggle_action.trigger()
        qtbot.waitUntil(lambda: finished(window), timeout=5000)
        qtbot.wait(50)
    try:
        log.start()
        if action == "scale":
            presentation.set_scale(2.5 if presentation.scale != 2.5 else 1.5)
        else:
            presentation.toggle_action.trigger()
        qtbot.waitUntil(lambda: finished(window), timeout=5000)
        qtbot.wait(50)
    finally:
        log.close()
    turns = log.turns()
    assert turns[1 : 1 + len(TURNS[action])] == list(TURNS[action]), log.log
    # each turn is preceded by a tick: none ran in the pass of the one before it
    steps = [i for i, entry in enumerate(log.log) if entry != "tick"]
    for before, after in zip(steps, steps[1:], strict=False):
        assert "tick" in log.log[before + 1 : after], (log.log[before], log.log[after], log.log)


def fonts_now(win) -> dict[int, float]:
    return {id(w): font_size(w.font()) for w in [win, *win.findChildren(QWidget)]}


@pytest.mark.parametrize(
    ("action", "stop_after"),
    [
        ("enter", "_scale_fonts"),
        ("enter", "_scale_views"),
        ("leave", "_restore_widget_fonts"),
        ("scale", "_scale_widgets"),
    ],
)
def test_f11_between_any_two_turns_ends_consistent(qtbot, window, monkeypatch, action, stop_after):
    """F11 right after a given turn (the application font scaled but not yet the widgets,
    or the reverse on leaving): presentation mode ends in the state the last F11 asks for,
    every font as it should be, the window painting."""
    presentation = window.tools["presentation"]
    app_size = font_size(QApplication.font())
    normal = fonts_now(window)
    log = TurnLog(presentation, monkeypatch)
    if action != "enter":
        presentation.toggle_action.trigger()
        qtbot.waitUntil(lambda: finished(window), timeout=5000)
        qtbot.wait(50)
        presenting = fonts_now(window)
    try:
        log.start()
        if action == "scale":
            presentation.set_scale(2.5 if presentation.scale != 2.5 else 1.5)
        else:
            presentation.toggle_action.trigger()
        qtbot.waitUntil(lambda: stop_after in log.log, timeout=5000)
        presentation.toggle_action.trigger()  # F11 (View ▸ Presentation Mode)
        qtbot.waitUntil(lambda: finished(window), timeout=5000)
        qtbot.wait(50)
    finally:
        log.close()
    if action == "leave":  # left half-way, entered again: presenting, as before
        assert presentation.active and not window.cost_dock.isVisible()
        assert font_size(QApplication.font()) == pytest.approx(app_size * presentation.scale)
        assert fonts_now(window) == presenting
        presentation.toggle_action.trigger()
        qtbot.waitUntil(lambda: finished(window), timeout=5000)
        qtbot.wait(50)
    assert not presentation.active and window.cost_dock.isVisible()
    assert font_size(QApplication.font()) == pytest.approx(app_size)
    now = fonts_now(window)
    assert {k: now[k] for k in normal if k in now} == {k: v for k, v in normal.items() if k in now}
    assert window.updatesEnabled()


@pytest.mark.parametrize("action", ["enter", "scale", "leave"])
def test_a_floating_dock_is_held_with_the_window(qtbot, window, action):
    """A floating dock is a window of its own: the window's hold did not reach it, and it
    repainted (4-7 ms) in the gap of the first font slice, at half-changed fonts. Now it is
    held from the action's turn and paints again after the last one."""
    presentation = window.tools["presentation"]
    dock = window.tools["walkthrough_dock"]
    dock.toggleViewAction().trigger()
    dock.setFloating(True)
    qtbot.waitUntil(dock.isVisible, timeout=5000)
    qtbot.wait(50)
    if action != "enter":
        presentation.toggle_action.trigger()
        qtbot.waitUntil(lambda: finished(window), timeout=5000)
        qtbot.wait(50)
    if not dock.isVisible():
        pytest.skip("the dock is hidden while presenting")
    if action == "scale":
        presentation.set_scale(2.5 if presentation.scale != 2.5 else 1.5)
    else:
        presentation.toggle_action.trigger()
    assert not dock.updatesEnabled(), "held from the action's turn"
    qtbot.waitUntil(lambda: finished(window) and dock.updatesEnabled(), timeout=5000)
    paints = DockPaints(dock)
    try:
        dock.widget().update()
        qtbot.waitUntil(lambda: paints.count > 0, timeout=3000)
    finally:
        paints.close()


class DockPaints(QObject):
    """Counts the paint events of ``dock`` and the widgets inside it."""

    def __init__(self, dock: QWidget) -> None:
        super().__init__()
        self.dock = dock
        self.count = 0
        QApplication.instance().installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt naming)
        if (
            event.type() == QEvent.Type.Paint
            and isinstance(watched, QWidget)
            and (watched is self.dock or self.dock.isAncestorOf(watched))
        ):
            self.count += 1
        return False

    def close(self) -> None:
        QApplication.instance().removeEventFilter(self)


def test_leaving_in_turns_puts_the_status_bar_back_at_its_height(qtbot, window):
    """The application font goes back a pass before the labels' fonts: the status bar had
    sized itself to its labels' scaled fonts in between and stayed 4 px taller (squeezing
    every dock) until something else laid it out."""
    bar = window.statusBar()
    before = bar.sizeHint().height()
    presentation = window.tools["presentation"]
    presentation.toggle_action.trigger()
    qtbot.waitUntil(lambda: finished(window), timeout=5000)
    assert bar.sizeHint().height() > before  # scaled fonts: a taller bar
    presentation.toggle_action.trigger()
    qtbot.waitUntil(lambda: finished(window), timeout=5000)
    qtbot.waitUntil(lambda: bar.sizeHint().height() == before, timeout=3000)
