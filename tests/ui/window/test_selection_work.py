"""What a selection change or an arriving result does NOT do on the GUI thread (issue 16,
"no freeze"): read every value of the maps for their colour levels (the worker sent the
ranges), open the input image for its shape, or make the layer editor's form again."""

from __future__ import annotations

import numpy as np
import pytest

from explorer.core.analysis.map_ranges import channel_ranges
from explorer.core.io.scene import InputSpec, Scene
from explorer.core.model.specs import default_spec
from explorer.ui.views import feature_grid as grid_module
from explorer.ui.views.feature_grid import FeatureMapGrid

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")


@pytest.fixture
def window(make_window):
    layers = (
        default_spec("standard", out_channels=4),
        default_spec("depthwise"),
        default_spec("separable", out_channels=5),
    )
    return make_window(Scene(input=InputSpec(image="sample:chelsea", size=24), layers=layers))


@pytest.fixture
def counted(monkeypatch):
    """Counts the calls of a module-level function while the test runs."""

    def count(module, name):
        calls = []
        real = getattr(module, name)

        def spy(*args, **kwargs):
            calls.append(args)
            return real(*args, **kwargs)

        monkeypatch.setattr(module, name, spy)
        return calls

    return count


@pytest.mark.parametrize("scale", ["shared", "per_channel"])
def test_levels_from_given_ranges_equal_those_from_the_values(qtbot, counted, scale):
    maps = np.random.default_rng(1).standard_normal((6, 7, 8)).astype(np.float32)
    maps[2, 1, 1] = np.nan
    reading = FeatureMapGrid()
    qtbot.addWidget(reading)
    reading.set_scale_mode(scale)
    reading.set_maps(maps)
    given = FeatureMapGrid()
    qtbot.addWidget(given)
    given.set_scale_mode(scale)
    calls = counted(grid_module, "channel_ranges")
    given.set_maps(maps, ranges=channel_ranges(maps))
    given.set_colormap("diverging")  # new levels, still from the ranges
    reading.set_colormap("diverging")
    assert calls == []
    np.testing.assert_array_equal(given._levels, reading._levels)
    np.testing.assert_array_equal(given._finite, reading._finite)
    items = dict(given.visible_image_items())
    assert items[2].levels is not None


def test_selecting_layers_reads_no_map_values_and_no_image_file(qtbot, window, counted):
    from explorer.core.io import inputs
    from explorer.ui.tools.weights import layer_checks

    doc = window.document
    for i in (0, 1, 2):  # every layer shown once: the forms and caches are made
        doc.select(i)
    value_reads = counted(grid_module, "channel_ranges")
    header_reads = counted(inputs, "image_header")
    shape_reads = counted(layer_checks, "input_shape")  # not even a stat of the file
    for _ in range(2):
        for i in (0, 1, 2, 1):
            doc.select(i)
            qtbot.wait(1)
            assert window.feature_grid.visible_image_items()  # the maps are shown
    assert value_reads == []  # the colour levels came with the result, from the worker
    assert header_reads == []  # the input's shape: no image opened per selection
    assert shape_reads == []
    doc.set_input(InputSpec(image="sample:coffee", size=20))  # another input: read again
    doc.select(0)
    assert len(shape_reads) >= 1


def test_the_layer_editor_keeps_one_form_per_kind(window):
    doc, editor = window.document, window.layer_editor
    doc.select(0)
    standard = editor.controls
    doc.select(1)
    assert editor.controls is not standard  # a depthwise layer: its own form
    doc.select(0)
    assert editor.controls is standard  # the standard form again, not made anew
    assert editor.controls["out_channels"].isVisibleTo(window)
    assert editor.controls["out_channels"].value() == 4
