"""CostView: table cells equal the StackCost numbers, comparisons are written with the
formula, errors grey the last numbers, selection highlights the bar."""

from __future__ import annotations

import pytest
from PySide6 import QtCore

from explorer.core.analysis.costs import find_comparisons, stack_cost
from explorer.core.model.specs import default_spec
from explorer.ui.views.cost_view import COLUMNS, CostView, shape_text
from explorer.ui.widgets.plot_utils import compact

NUMBER = QtCore.Qt.ItemDataRole.UserRole
LAYERS = [
    default_spec("standard", out_channels=32),
    default_spec("separable", out_channels=32),
    default_spec("depthwise"),
    default_spec("pointwise", out_channels=64),
]


@pytest.fixture
def view(qtbot) -> CostView:
    widget = CostView()
    qtbot.addWidget(widget)
    widget.resize(1000, 700)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


@pytest.fixture
def cost():
    return stack_cost((3, 32, 32), LAYERS)


def _column(name: str) -> int:
    return COLUMNS.index(name)


def test_cells_equal_the_stack_cost(view, cost):
    view.set_costs(cost, find_comparisons(LAYERS, cost))
    table = view.table
    assert table.rowCount() == len(cost.layers) + 1
    for r, layer in enumerate(cost.layers):
        assert table.item(r, _column("kind")).text() == layer.kind
        assert table.item(r, _column("output")).text() == shape_text(layer.output_shape)
        for name, value in (("params", layer.params), ("MACs", layer.macs), ("FLOPs", layer.flops)):
            item = table.item(r, _column(name))
            assert item.data(NUMBER) == value
            assert item.text() == f"{value:,}"
            if value >= 1000:
                assert compact(value) in item.toolTip()
    total = len(cost.layers)
    assert table.item(total, _column("kind")).text() == "total"
    assert table.item(total, _column("params")).data(NUMBER) == cost.params
    assert table.item(total, _column("MACs")).data(NUMBER) == cost.macs
    assert table.item(total, _column("FLOPs")).data(NUMBER) == 2 * cost.macs
    assert table.isColumnHidden(_column("time (ms)"))  # no timings yet
    assert "bias additions, BatchNorm and activations are not counted" in view.convention_text()
    assert "Other Tools" in view.convention_text()
    assert "FLOPs = 2 × MACs" in view.convention_text()


def test_compact_numbers():
    assert compact(8_388_608) == "8.39 M"
    assert compact(950) == "950"
    assert compact(12_300) == "12.3 k"
    assert compact(3_538_944_000) == "3.54 G"


def test_timings_fill_the_time_column(view, cost):
    view.set_costs(cost, [], {0: 0.0015, 1: 0.004})
    table, col = view.table, _column("time (ms)")
    assert not table.isColumnHidden(col)
    assert table.item(0, col).data(NUMBER) == pytest.approx(1.5)
    assert table.item(1, col).text() == "4.00"
    assert table.item(2, col).text() == "—"
    view.set_timings({0: 0.001, 1: 0.001, 2: 0.001, 3: 0.002})
    assert table.item(len(cost.layers), col).data(NUMBER) == pytest.approx(5.0)


def test_comparisons_are_written_with_the_formula(view, cost):
    comparisons = find_comparisons(LAYERS, cost)
    view.set_costs(cost, comparisons)
    texts = view.comparison_texts()
    assert len(texts) == len(comparisons) == 2
    sep = comparisons[0]
    assert texts[0].startswith(
        f"Layer 2 (separable): {sep.separable_macs:,} MACs vs {sep.standard.macs:,} "
        "for the standard 3×3 conv"
    )
    assert f"{1 / sep.macs_ratio:.1f}× fewer" in texts[0]
    assert "formula 1/C_out + 1/k² = 1/32 + 1/9 = 0.142" in texts[0]
    assert texts[1].startswith("Layers 3–4 (depthwise → pointwise)")
    assert "1/64 + 1/9" in texts[1]
    assert (
        f"params: {sep.separable_params:,} vs {sep.standard.params:,}" in view._comparisons.text()
    )


def test_error_keeps_the_numbers_greyed(view, cost):
    view.set_costs(cost, [])
    view.set_error("layer 3 (depthwise), field 'kernel_size': too big")
    assert view.error_text() == "layer 3 (depthwise), field 'kernel_size': too big"
    assert not view.table.isEnabled()
    assert view.table.item(0, _column("MACs")).data(NUMBER) == cost.layers[0].macs
    view.set_costs(cost, [])
    assert view.error_text() == "" and view.table.isEnabled()


def test_select_layer_highlights_row_and_bar(view, cost, qtbot):
    view.set_costs(cost, [])
    widths = list(view.bars.opts["width"])
    assert widths == [layer.macs for layer in cost.layers]
    view.select_layer(2)
    brushes = view.bar_brushes()
    assert brushes[2] != brushes[0] and brushes[0] == brushes[1] == brushes[3]
    assert [i.row() for i in view.table.selectionModel().selectedRows()] == [2]
    view.select_layer(-1)
    assert len(set(c.name() for c in view.bar_brushes())) == 1
    with qtbot.waitSignal(view.layer_selected, timeout=1000) as blocker:
        rect = view.table.visualItemRect(view.table.item(1, 1))
        qtbot.mouseClick(view.table.viewport(), QtCore.Qt.MouseButton.LeftButton, pos=rect.center())
    assert blocker.args == [1]
    assert view.bar_brushes()[1] != view.bar_brushes()[0]


def test_an_empty_stack_shows_only_the_input(qtbot):
    from explorer.core.analysis.costs import stack_cost
    from explorer.ui.views.cost_view import CostView

    view = CostView()
    qtbot.addWidget(view)
    view.set_costs(stack_cost((3, 8, 8), []), [], None)
    table = view.table
    assert table.rowCount() == 1  # only the total row
    assert not view.bars.isVisible()


@pytest.mark.parametrize("width", [300, 450, 700])
def test_every_row_and_the_numbers_show_without_scrolling(qtbot, width):
    layers = [
        default_spec("standard", out_channels=32),
        default_spec("separable", out_channels=64),
        default_spec("depthwise"),
        default_spec("pointwise", out_channels=128),
        default_spec("depthwise"),
        default_spec("pointwise", out_channels=256),
    ]
    cost = stack_cost((3, 224, 224), layers)
    view = CostView()
    qtbot.addWidget(view)
    view.resize(width, 700)
    view.show()
    qtbot.waitExposed(view)
    view.set_costs(cost, [], {i: 0.001 * (i + 1) for i in range(len(layers))})
    table = view.table
    header = table.horizontalHeader().height()
    rows = sum(table.rowHeight(r) for r in range(table.rowCount()))
    assert table.viewport().height() >= rows and table.height() >= header + rows
    assert not table.verticalScrollBar().isVisible()
    shown = [c for c in range(len(COLUMNS)) if not table.isColumnHidden(c)]
    fits = sum(table.columnWidth(c) for c in shown) <= table.viewport().width()
    assert fits is (width >= 400)  # the least important columns give way first; a dock
    assert table.horizontalScrollBar().isVisible() is not fits  # narrower scrolls sideways
    # params, MACs and time always show; the output shape goes first (into the tooltip),
    # then FLOPs (= 2 × MACs), and a note says which were left out
    assert {_column(n) for n in ("#", "kind", "params", "MACs", "time (ms)")} <= set(shown)
    assert table.isColumnHidden(_column("output")) is (width < 600)
    assert table.isColumnHidden(_column("FLOPs")) is (width < 400)
    dropped = view._dropped.text()
    assert ("output" in dropped) is (width < 600) and ("FLOPs" in dropped) is (width < 400)
    assert shape_text(cost.layers[3].output_shape) in table.item(3, _column("kind")).toolTip()
    assert view.preferred_width() <= 600


def test_long_bars_carry_their_number_inside(view, cost):
    view.set_costs(cost, [])
    longest = max(range(len(cost.layers)), key=lambda i: cost.layers[i].macs)
    label = view._bar_labels[longest]
    assert label.anchor[0] == 1  # right-aligned at the bar's end, inside it
    assert compact(cost.layers[longest].macs) in label.text()


def test_selecting_a_row_does_not_lay_the_bar_numbers_out_again(view, cost, monkeypatch):
    """A new selection redraws the bars' colours; their numbers, unchanged, are not set
    again (each setText lays its text out anew)."""
    from explorer.ui.widgets.anchored_text import AnchoredText

    view.set_costs(cost, [])
    calls = []
    monkeypatch.setattr(AnchoredText, "setText", lambda *a: calls.append("text"))
    monkeypatch.setattr(AnchoredText, "set_color", lambda *a: calls.append("color"))
    view.select_layer(2)
    view.select_layer(1)
    assert calls == []
    bigger = stack_cost((3, 64, 64), LAYERS)  # other numbers: written again
    view.set_costs(bigger, [])
    assert "text" in calls
