"""Issue 15's smaller pieces: one-line cost summaries, tile titles that never run together,
tick labels that never overlap, names on the weights, the input's compact weights area, the
'same'-with-stride error on the stride, screen-sized windows."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtGui import QFont, QFontMetrics
from ui_helpers import wait_run

from explorer.core.analysis.costs import stack_cost
from explorer.core.io.scene import InputSpec, Scene
from explorer.core.model.specs import default_spec


def test_cost_summaries_get_shorter_and_the_first_is_the_full_one():
    from explorer.ui.tools.present.presentation import cost_summaries, cost_summary

    layers = (default_spec("separable", out_channels=16), default_spec("pointwise"))
    cost = stack_cost((3, 256, 256), layers)
    for selected in (-1, 0, 1):
        forms = cost_summaries(cost, selected)
        assert forms[0] == cost_summary(cost, selected)
        assert [len(f) for f in forms] == sorted((len(f) for f in forms), reverse=True)
        assert len(forms[-1]) < 40
    assert "4.92 M MACs" in cost_summaries(cost, 0)[-1]  # the layer's MACs survive


def test_one_line_label_shows_the_longest_form_that_fits(qtbot):
    from explorer.ui.tools.present.presentation import OneLineLabel

    label = OneLineLabel()
    qtbot.addWidget(label)
    forms = [
        "Layer 1/2 separable: 3×256×256 → 16×256×256 · 94 params · 4.92 M MACs",
        "Layer 1/2 separable · 94 params · 4.92 M MACs",
        "Layer 1 · 4.92 M MACs",
    ]
    label.set_texts(forms)
    fm = label.fontMetrics()
    label.resize(fm.horizontalAdvance(forms[1]) + 20, 30)
    label.show()
    assert label.text() == forms[1] and not label.wordWrap()
    label.resize(fm.horizontalAdvance(forms[0]) + 20, 30)
    assert label.text() == forms[0]
    assert label.minimumSizeHint().width() <= fm.horizontalAdvance(forms[2]) + 20
    assert label.toolTip() == forms[0]


def test_tile_titles_never_run_together():
    from explorer.ui.views.tiles import fitted_labels

    font = QFont()
    font.setPixelSize(11)
    fm = QFontMetrics(font)
    channels = list(range(8, 24))
    wide = fitted_labels(channels, None, 200, font)
    assert wide[0] == "ch 8"
    narrow = fitted_labels(channels, None, fm.horizontalAdvance("ch 10") - 2, font)
    assert narrow[:3] == ["8", "9", "10"]
    tiny = fitted_labels(channels, None, 8, font)
    shown = [(k, t) for k, t in enumerate(tiny) if t]
    for (k1, t1), (k2, _) in zip(shown, shown[1:], strict=False):
        assert (k2 - k1) * 8 >= fm.horizontalAdvance(t1)  # room to the next shown title
    assert fitted_labels([0, 1, 2], ["R", "G", "B"], 30, font) == ["R", "G", "B"]


def test_chart_ticks_never_overlap_and_no_power_of_ten(qtbot):
    import pyqtgraph as pg

    from explorer.ui.views.compact_axis import CompactAxis

    widget = pg.PlotWidget(axisItems={"bottom": CompactAxis("bottom")})
    qtbot.addWidget(widget)
    axis = widget.getPlotItem().getAxis("bottom")
    for width in (160, 300, 900):
        levels = axis.tickValues(0, 3.2e9, width)
        values = levels[0][1]
        labels = axis.tickStrings(values, 1.0, levels[0][0])
        fm = QFontMetrics(axis.style.get("tickFont") or QFont())
        pitch = width * (values[1] - values[0]) / 3.2e9 if len(values) > 1 else width
        assert max(fm.horizontalAdvance(t) for t in labels) < pitch
        assert all(t.endswith(("G", "M", "k")) or t == "0" for t in labels), labels
    assert axis.autoSIPrefix is False


@pytest.fixture
def window(make_window):
    layers = (default_spec("separable", out_channels=6), default_spec("pointwise", out_channels=3))
    return make_window(Scene(input=InputSpec(image="sample:chelsea", size=32), layers=layers))


def test_names_on_tiles_and_weight_axes(qtbot, window):
    window.document.select(-1)
    qtbot.waitUntil(lambda: bool(window.feature_grid.visible_image_items()))
    window.feature_grid.resize(900, 400)
    labels = [t.label.text() for t in window.feature_grid._tiles if t.channel >= 0]
    assert labels == ["R", "G", "B"]
    window.document.select(0)
    wait_run(qtbot, window)
    matrix = window.weight_view.panels()["pointwise.weight"]
    bottom = matrix.plot.getAxis("bottom")
    assert [label for _, label in bottom._tickLevels[0]] == ["R", "G", "B"]


def test_input_selected_weights_area_is_compact_and_disabled(qtbot, window):
    tools = window.tools["weight_tools"]
    window.document.select(0)
    wait_run(qtbot, window)
    buttons = {b.text() for b in tools.bar.findChildren(type(tools.presets_button))}
    window.document.select(-1)
    assert not tools.import_action.isEnabled() and not tools.presets_button.isEnabled()
    assert window.weight_view.maximumHeight() < 200
    assert buttons == {b.text() for b in tools.bar.findChildren(type(tools.presets_button))}
    assert "Edit…" in buttons  # the same text whatever is selected
    window.document.select(1)
    wait_run(qtbot, window)
    assert tools.import_action.isEnabled() and tools.presets_button.isEnabled()
    assert window.weight_view.maximumHeight() > 10000
    assert "Edit…" in {b.text() for b in tools.bar.findChildren(type(tools.presets_button))}


def test_same_padding_with_stride_two_marks_the_stride(qtbot, window):
    from dataclasses import replace

    window.document.select(0)
    spec = window.document.layers[0]
    window.document.replace_layer(0, replace(spec, stride=(2, 2), padding="same"))
    editor = window.layer_editor
    qtbot.waitUntil(lambda: editor.error_label.isVisible())
    stride, padding = editor.controls["stride"], editor.controls["padding"]
    assert stride.property("invalid") and "stride" in stride.toolTip()
    assert not padding.property("invalid")  # the disabled padding box is not what to change


def test_compare_window_never_larger_than_the_main_window(qtbot, window):
    window.resize(1280, 720)
    compare = window.tools["compare_window"].window
    compare.repeats.setValue(1)
    compare.open_for_selection()
    assert compare.width() <= 1280 and compare.height() <= 720
    qtbot.waitUntil(lambda: not compare.busy, timeout=60000)
    compare.close()


def test_inspector_does_not_grow_the_window(qtbot, window):
    window.resize(1280, 720)
    qtbot.wait(50)
    dock = window.tools["inspector_dock"]
    dock.show()
    dock.set_pixel(0, 3, 3)
    dock.refresh()
    qtbot.wait(100)
    assert window.height() <= 720 and window.width() <= 1280
    assert window.minimumSizeHint().height() <= 720


def test_enlarged_map_axis_spans_the_map(qtbot, window):
    window.resize(1280, 720)
    grid = window.feature_grid
    window.document.select(0)
    wait_run(qtbot, window)
    grid.enlarge(1)
    qtbot.wait(200)
    (x0, x1), (y0, y1) = grid._channel_view.plot.vb.viewRange()
    h, w = np.asarray(window.controller.results[0].output).shape[1:]
    assert x0 > -0.2 * w and x1 < 1.2 * w and y0 > -0.2 * h and y1 < 1.2 * h
