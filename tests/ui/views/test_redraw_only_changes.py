"""The views redraw only what changed (issue 13, update latency) — and never keep a stale
picture: each test that checks a skipped redraw also checks that a change IS drawn."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6 import QtCore

from explorer.core.analysis.costs import find_comparisons, stack_cost
from explorer.core.model.specs import default_spec
from explorer.ui.views.cost_view import COLUMNS, CostView
from explorer.ui.views.feature_grid import FeatureMapGrid
from explorer.ui.views.map_image import MapImageItem

NUMBER = QtCore.Qt.ItemDataRole.UserRole


class _Paints(QtCore.QObject):
    """Counts the paint events of a widget."""

    def __init__(self, widget) -> None:
        super().__init__()
        self.count = 0
        widget.installEventFilter(self)

    def eventFilter(self, obj, event):  # noqa: N802 - Qt hook
        if event.type() == QtCore.QEvent.Type.Paint:
            self.count += 1
        return False


def _settle(qtbot, ms: int = 120) -> None:
    qtbot.wait(ms)


@pytest.fixture
def grid(qtbot) -> FeatureMapGrid:
    widget = FeatureMapGrid()
    qtbot.addWidget(widget)
    widget.resize(900, 600)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


@pytest.fixture
def set_map_calls(monkeypatch) -> list[int]:
    calls: list[int] = []
    original = MapImageItem.set_map

    def counting(self, *args, **kwargs):
        calls.append(1)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(MapImageItem, "set_map", counting)
    return calls


def _read_only(a: np.ndarray) -> np.ndarray:
    a.flags.writeable = False
    return a


def _tiles(grid: FeatureMapGrid) -> dict[int, object]:
    return dict(grid.visible_image_items())


# ---------------------------------------------------------------------------- feature grid
def test_the_same_read_only_maps_again_redraw_nothing(grid, rng, set_map_calls):
    maps = _read_only(rng.standard_normal((4, 8, 8)).astype(np.float32))
    grid.set_maps(maps, title="layer 1")
    assert len(set_map_calls) == 4
    grid.set_maps(maps, title="layer 1")  # a cached layer's result, re-sent
    assert len(set_map_calls) == 4
    # a new title or new names are drawn
    grid.set_maps(maps, title="layer 2")
    assert len(set_map_calls) == 8 and "layer 2" in grid._title.text()


def test_new_values_are_drawn_even_in_the_same_array_object(grid, rng):
    maps = rng.standard_normal((3, 6, 6)).astype(np.float32)  # writable: may change
    grid.set_maps(maps)
    maps *= 10.0
    maps[1, 0, 0] = 123.0
    grid.set_maps(maps)
    for ch, item in _tiles(grid).items():
        np.testing.assert_array_equal(item.image, maps[ch])
        assert tuple(item.levels) == pytest.approx((maps.min(), maps.max()))
    # a new read-only array with other values: drawn too
    other = _read_only(-maps)
    grid.set_maps(other)
    for ch, item in _tiles(grid).items():
        np.testing.assert_array_equal(item.image, other[ch])


def test_colour_bar_follows_new_levels_and_scale_mode(grid, rng):
    maps = rng.standard_normal((3, 6, 6)).astype(np.float32)
    grid.set_maps(maps)
    assert grid._colorbar.levels() == pytest.approx((maps.min(), maps.max()))
    grid.set_maps(maps * 5.0)
    assert grid._colorbar.levels() == pytest.approx((5 * maps.min(), 5 * maps.max()))
    grid.set_scale_mode("per_channel")
    assert grid._colorbar.levels() == pytest.approx((0.0, 1.0))
    grid.set_scale_mode("shared")
    assert grid._colorbar.levels() == pytest.approx((5 * maps.min(), 5 * maps.max()))
    grid.set_colormap("gray")
    lut = grid._colorbar.colorMap().getLookupTable(nPts=2, alpha=False)
    np.testing.assert_array_equal(lut, [[0, 0, 0], [255, 255, 255]])
    grid.set_colormap("viridis")
    assert grid._colorbar.colorMap().getLookupTable(nPts=2, alpha=False).tolist() != [
        [0, 0, 0],
        [255, 255, 255],
    ]


def test_tiles_are_placed_anew_when_the_channel_count_changes(grid, rng):
    grid.set_maps(rng.standard_normal((4, 10, 10)).astype(np.float32))
    four = {ch: grid.scene_pos_of(ch, 2, 3) for ch in range(4)}
    grid.set_maps(rng.standard_normal((9, 10, 10)).astype(np.float32))
    for ch in range(9):  # every tile where the grid says it is
        assert grid.pixel_at(grid.scene_pos_of(ch, 2, 3)) == (ch, 2, 3)
    assert grid.scene_pos_of(1, 2, 3) != four[1]  # smaller tiles now
    grid.set_maps(rng.standard_normal((4, 10, 10)).astype(np.float32))
    for ch in range(4):  # the same layout again: the same places
        assert grid.scene_pos_of(ch, 2, 3) == four[ch]
        assert grid.pixel_at(four[ch]) == (ch, 2, 3)


def test_new_maps_are_painted_once(grid, qtbot, rng):
    paints = _Paints(grid.graphics_view().viewport())
    for channels in (5, 9, 3, 8):  # every count changes the layout and the view range
        _settle(qtbot)
        paints.count = 0
        grid.set_maps(rng.standard_normal((channels, 16, 16)).astype(np.float32))
        qtbot.waitUntil(lambda: paints.count >= 1, timeout=2000)
        _settle(qtbot)
        assert paints.count == 1


# ---------------------------------------------------------------------------- cost view
LAYERS = [default_spec("separable", out_channels=16), default_spec("pointwise", out_channels=8)]


def _costs(out_channels: int):
    layers = [LAYERS[0], default_spec("pointwise", out_channels=out_channels)]
    cost = stack_cost((3, 64, 64), layers)
    return cost, find_comparisons(layers, cost)


@pytest.fixture
def costs_view(qtbot) -> CostView:
    widget = CostView()
    qtbot.addWidget(widget)
    widget.resize(700, 600)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def test_cost_cells_unchanged_are_kept_changed_ones_show_the_new_numbers(costs_view):
    table = costs_view.table
    costs_view.set_costs(*_costs(8))
    first_row = [table.item(0, c) for c in range(len(COLUMNS))]
    cost, comparisons = _costs(12)
    costs_view.set_costs(cost, comparisons)
    assert [table.item(0, c) for c in range(len(COLUMNS))] == first_row  # not rebuilt
    for r, layer in enumerate(cost.layers):
        for name, value in (("params", layer.params), ("MACs", layer.macs)):
            item = table.item(r, COLUMNS.index(name))
            assert item.data(NUMBER) == value and item.text() == f"{value:,}"
    total = table.item(len(cost.layers), COLUMNS.index("MACs"))
    assert total.data(NUMBER) == cost.macs
    # timings arrive: the time column changes, the rest stays
    costs_view.set_timings({0: 0.002, 1: 0.001})
    assert table.item(0, COLUMNS.index("time (ms)")).text() == "2.00"
    assert table.item(0, COLUMNS.index("params")) is first_row[COLUMNS.index("params")]


def test_cost_chart_follows_the_macs_and_is_painted_once(costs_view, qtbot):
    costs_view.set_costs(*_costs(8))
    _settle(qtbot)
    paints = _Paints(costs_view._chart.viewport())
    cost, comparisons = _costs(24)
    costs_view.set_costs(cost, comparisons)
    assert list(costs_view.bars.opts["width"]) == [float(layer.macs) for layer in cost.layers]
    qtbot.waitUntil(lambda: paints.count >= 1, timeout=2000)
    _settle(qtbot)
    assert paints.count == 1
    costs_view.select_layer(1)  # the selection recolours the bars
    brushes = costs_view.bar_brushes()
    assert brushes[1] != brushes[0]


# ---------------------------------------------------------------------------- coalescing
def test_coalescer_runs_at_once_when_quiet_and_the_latest_of_quick_calls(qtbot):
    from explorer.ui.views.coalesce import Coalescer

    owner = QtCore.QObject()
    calls: list[int] = []
    later = Coalescer(owner, interval_ms=40)
    later.call(calls.append, 1)
    assert calls == [1]  # quiet before: at once
    later.call(calls.append, 2)
    later.call(calls.append, 3)
    assert calls == [1] and later.pending
    qtbot.waitUntil(lambda: calls == [1, 3], timeout=2000)  # only the latest, soon
    later.call(calls.append, 4)
    later.flush()
    assert calls == [1, 3, 4] and not later.pending
    later.call(calls.append, 5)
    later.cancel()
    qtbot.wait(100)
    assert calls == [1, 3, 4]


def _macs_column(view: CostView) -> list[int]:
    table, col = view.table, COLUMNS.index("MACs")
    return [table.item(r, col).data(NUMBER) for r in range(table.rowCount())]


def test_costs_of_quick_edits_show_the_first_at_once_and_end_on_the_latest(costs_view, qtbot):
    costs = {n: _costs(n) for n in (8, 9, 10, 11)}
    costs_view.show_costs_soon(*costs[8])
    assert _macs_column(costs_view)[-1] == costs[8][0].macs  # at once
    costs_view.show_costs_soon(*costs[9], {0: 0.5})
    costs_view.show_costs_soon(*costs[10], {0: 0.5})
    costs_view.set_timings({}, measuring=True)  # an edit makes the old times stale
    qtbot.waitUntil(lambda: _macs_column(costs_view)[-1] == costs[10][0].macs, timeout=2000)
    assert _macs_column(costs_view)[:-1] == [layer.macs for layer in costs[10][0].layers]
    assert costs_view.table.item(0, COLUMNS.index("time (ms)")).text() == "…"  # not 500
    # an error shows over the latest costs, never under older ones
    costs_view.show_costs_soon(*costs[11])
    costs_view.set_error("groups=3 does not divide 16")
    assert _macs_column(costs_view)[-1] == costs[11][0].macs
    assert costs_view.error_text() == "groups=3 does not divide 16"
    qtbot.wait(100)
    assert costs_view.error_text() == "groups=3 does not divide 16"
    # a direct set_costs wins over a waiting one
    costs_view.show_costs_soon(*costs[8])
    costs_view.show_costs_soon(*costs[9])
    costs_view.set_costs(*costs[10])
    qtbot.wait(100)
    assert _macs_column(costs_view)[-1] == costs[10][0].macs
