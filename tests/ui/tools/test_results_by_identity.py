"""After a move, the export, the comparison window, the walk-through and the cost table read
each layer's own result, cost and time (by layer identity), never those of the layer that
used to be at its place, even before the rerun arrives."""

from __future__ import annotations

import numpy as np
import pytest
import shiboken6
from PySide6.QtCore import Qt

from explorer.core.io.scene import InputSpec, Scene
from explorer.core.model.specs import default_spec

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")

TIME = 6  # the cost table's time column
VALUE = Qt.ItemDataRole.UserRole


@pytest.fixture
def window(qtbot, make_window):
    layers = (
        default_spec("standard", out_channels=4),
        default_spec("standard", out_channels=6),
        default_spec("separable", out_channels=5),
    )
    win = make_window(
        Scene(input=InputSpec(image="sample:chelsea", size=24), layers=layers, seed=4)
    )
    yield win
    compare = win.tools["compare_window"]
    if compare._window is not None:
        qtbot.waitUntil(lambda: not compare.window.busy, timeout=30000)
        if shiboken6.isValid(compare.window):  # pytest-qt may have deleted the window by now
            compare.window.close()
    qtbot.waitUntil(lambda: not win.tools["layer_timing"].busy, timeout=30000)


def _outputs(win) -> dict[int, np.ndarray]:
    """Each layer's output now, by uid."""
    state = win.controller.state
    return {s.uid: np.array(state.result(s).output) for s in win.document.layers}


def test_export_after_a_move_writes_the_moved_layers_maps(tmp_path, window):
    before = _outputs(window)
    doc = window.document
    doc.select(0)
    moved = doc.layers[0]
    doc.move_layer(0, 1)  # no event-loop turn: the rerun has not started
    assert doc.layers[1].uid == moved.uid
    doc.select(1)
    maps = window.tools["export"].shown_maps()
    np.testing.assert_array_equal(maps, before[moved.uid])  # its own 4 maps, not 6
    assert maps.shape[0] == 4


def test_comparison_after_a_move_takes_the_input_from_the_layer_now_before(window):
    before = _outputs(window)
    doc = window.document
    doc.move_layer(0, 1)  # [6-channel, 4-channel, separable]
    first_now = doc.layers[1]
    doc.select(2)
    compare = window.tools["compare_window"].window
    compare.open_for_selection()
    assert (
        compare._input.shape[0] == 4 == window.controller.state.cost(doc.layers[2]).input_shape[0]
    )
    np.testing.assert_array_equal(compare._input, before[first_now.uid])
    assert "layer 2's output" in compare.source.text()


def test_walkthrough_after_a_move_reads_its_own_result(window):
    doc = window.document
    doc.move_layer(0, 1)
    doc.select(1)
    index, spec, x, result = window.tools["walkthrough_dock"]._layer()
    assert spec.uid == doc.layers[1].uid and result.uid == spec.uid
    assert result.output.shape[0] == 4
    assert x is window.controller.state.result(doc.layers[0]).output


def test_cost_table_times_follow_their_layer(window, qtbot):
    doc = window.document
    times = {0: 0.001, 1: 0.002, 2: 0.003}
    snapshots: list[list[float | None]] = []
    view = window.cost_view
    original = view._show_costs  # where new costs land (a drag's are coalesced to ≤ 25/s)

    def spy(*args, **kwargs):  # what the table shows right when the new costs arrive
        original(*args, **kwargs)
        rows = view.table.rowCount() - 1  # the last row is the total
        snapshots.append([view.table.item(r, TIME).data(VALUE) for r in range(rows)])

    view._show_costs = spy
    window.set_timings(times)
    uids = [s.uid for s in doc.layers]
    shown = len(snapshots)
    doc.move_layer(0, 2)
    assert [s.uid for s in doc.layers] == [uids[1], uids[2], uids[0]]
    window.cost_pass.flush()  # an edit's costs come in the pass after it: now
    view._later.flush()  # a second edit within 40 ms waits: show it now
    assert len(snapshots) > shown
    assert snapshots[-1] == pytest.approx([2.0, 3.0, 1.0])  # ms, each with its layer
