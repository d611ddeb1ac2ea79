"""Warm per-layer times in the cost table: measured after the run on a worker, shown with
their spread, stopped by edits, kept for unchanged layers, and re-measured on request."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from ui_helpers import wait_run

from explorer.core.compute.timing import Timing
from explorer.core.io.scene import InputSpec, Scene
from explorer.core.model.specs import default_spec

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")

TIME = 6  # the time column
VALUE = Qt.ItemDataRole.UserRole


@pytest.fixture
def window(qtbot, make_window):
    layers = (
        default_spec("standard", out_channels=8),
        default_spec("separable", out_channels=12, kernel_size=5),
    )
    win = make_window(
        Scene(input=InputSpec(image="sample:chelsea", size=32), layers=layers, seed=2)
    )
    timer = win.tools["layer_timing"]
    timer.repeats, timer.warmup = 3, 1
    yield win
    qtbot.waitUntil(lambda: not timer.busy, timeout=30000)


def wait_timed(qtbot, win):
    timer = win.tools["layer_timing"]
    qtbot.waitUntil(
        lambda: not timer.busy and len(timer.timings) == len(win.document.layers), timeout=60000
    )
    return timer


def test_times_are_warm_medians_with_spread(qtbot, window):
    timer = wait_timed(qtbot, window)
    view, table = window.cost_view, window.cost_view.table
    assert all(isinstance(t, Timing) for t in timer.timings.values())
    for row, t in timer.timings.items():
        item = table.item(row, TIME)
        q1, q3 = t.quartiles
        assert item.text() == f"{t.median * 1e3:.2f} ±{(q3 - q1) * 500:.2f}"
        assert item.data(VALUE) == pytest.approx(t.median * 1e3)
        assert "after 1 warm-ups" in item.toolTip() and "IQR" in item.toolTip()
        # not the cold first pass that computed the maps
        assert t.repeats == 3
    total = table.item(2, TIME).data(VALUE)
    assert total == pytest.approx(sum(t.median for t in timer.timings.values()) * 1e3)
    note = view.timing_note_text()
    assert "warm" in note and "median of 3 runs after 1 warm-ups on the CPU (" in note
    assert view.remeasure_button.isVisibleTo(view)


def test_edit_stops_and_keeps_unchanged_layers(qtbot, window):
    timer = wait_timed(qtbot, window)
    first = timer.timings[0]
    doc = window.document
    doc.replace_layer(1, doc.layers[1].with_changes(out_channels=4))
    # at once: no stale time is shown for the edited stack
    assert window.cost_view.table.item(1, TIME).text() == "…"
    assert "measuring" in window.cost_view.timing_note_text()
    wait_run(qtbot, window)
    wait_timed(qtbot, window)
    assert timer.timings[0] is first  # layer 1 and its input unchanged: kept
    assert timer.timings[1].repeats == 3


def test_remeasure(qtbot, window):
    timer = wait_timed(qtbot, window)
    before = dict(timer.timings)
    assert timer.action in window.actions.tools_menu.actions()
    window.cost_view.remeasure_button.click()
    wait_timed(qtbot, window)
    assert all(timer.timings[i] is not before[i] for i in before)


def test_cancelled_by_an_edit_mid_measurement(qtbot, window):
    timer = wait_timed(qtbot, window)
    timer.remeasure()
    doc = window.document
    doc.replace_layer(0, doc.layers[0].with_changes(out_channels=5))
    assert timer.timings == {}
    wait_run(qtbot, window)
    wait_timed(qtbot, window)
    assert window.cost_view.table.item(0, TIME).text() != "…"


def test_nothing_is_measured_while_the_costs_are_hidden(qtbot, window):
    """Timing is CPU work next to the runs and the painting of their results: with the cost
    dock closed it waits, and measures when the dock shows again."""
    timer = wait_timed(qtbot, window)
    window.cost_dock.hide()
    doc = window.document
    doc.replace_layer(1, doc.layers[1].with_changes(out_channels=4))
    wait_run(qtbot, window)
    qtbot.wait(timer._delay.interval() + 200)  # past the quiet time after the run
    assert not timer.busy and 1 not in timer.timings
    window.cost_dock.show()
    wait_timed(qtbot, window)
    assert timer.timings[1].repeats == 3
