"""A short seeded monkey run on the real window (the long ones: benchmarks/bench_monkey.py).

Fails on any exception that reaches the event loop (sys.excepthook / threading.excepthook,
where the crash dialog would come from), on any saved scene that the window cannot open
again, and when the window stops painting. The longest GUI stall is printed (``-s``), not asserted: wall time is for benchmarks.
"""

from __future__ import annotations

import pytest
from monkey import Monkey, make_monkey_window
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from explorer.core.io.scene import InputSpec, Scene
from explorer.core.model.specs import default_spec


@pytest.mark.qt_log_ignore("This plugin does not support")  # offscreen: grabs, raise()
@pytest.mark.parametrize(("seed", "clicks"), [(7, False), (3, True)])
def test_random_use_finds_no_exception_and_no_unreopenable_file(qtbot, tmp_path, seed, clicks):
    scene = Scene(
        input=InputSpec(shape=(3, 24, 24)),
        layers=(
            default_spec("standard", out_channels=8),
            default_spec("depthwise"),
            default_spec("pointwise", out_channels=4),
        ),
    )
    win = make_monkey_window(scene, tmp_path)
    qtbot.addWidget(win)
    qtbot.waitUntil(lambda: bool(win.controller.results) and not win.controller.busy, timeout=60000)
    # with clicks: also random buttons (the Fit's Start, the walk-through's Play, Apply…)
    report = Monkey(win, tmp_path / "monkey", seed, clicks=clicks).run(seconds=25)
    print(report.summary())
    try:
        assert report.actions >= 40, report.summary()
        assert not report.exceptions, "\n".join(report.exceptions)
        assert report.saved >= 1 and not report.unreopenable, report.unreopenable
        assert report.reopened == report.saved
        assert not report.unpainted, report.unpainted  # the window never stopped painting
    finally:
        win.shutdown()
    assert not win.controller.worker_running


@pytest.mark.qt_log_ignore("This plugin does not support")  # offscreen: grabs, raise()
def test_a_popup_menu_opened_by_a_key_is_answered_and_the_run_goes_on(qtbot, tmp_path):
    """Space on a tool button with an instant popup (Add ▾) opens its menu in a nested event
    loop inside the monkey's own key press: the heartbeat must choose in it or close it
    (seed 11 once waited there until the benchmark's 300 s timeout)."""
    scene = Scene(input=InputSpec(shape=(3, 16, 16)), layers=(default_spec("pointwise"),))
    win = make_monkey_window(scene, tmp_path)
    qtbot.addWidget(win)
    qtbot.waitUntil(lambda: bool(win.controller.results) and not win.controller.busy, timeout=60000)
    monkey = Monkey(win, tmp_path / "monkey", 1)
    button = win.layer_panel.add_button
    opened: list[bool] = []

    def act() -> None:  # every step presses Space on the Add button
        monkey._note("key Space on Add")
        monkey.report.actions += 1
        button.setFocus()
        QTest.keyClick(button, Qt.Key.Key_Space)
        opened.append(True)

    monkey.act = act
    try:
        report = monkey.run(actions=3, pause_ms=(0, 10))
    finally:
        win.shutdown()
    assert len(opened) == 3  # every key press returned: its menu was answered
    assert report.actions == 3
    assert QApplication.activePopupWidget() is None
