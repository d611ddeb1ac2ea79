"""A new result of the layer shown whose weights are unchanged (a rerun after an edit of
another layer or of the input) redraws no weight panel (issue 16: no GUI-thread chunk over
~20 ms as results arrive); any change of the weights, channel names, layer or what is shown
still redraws."""

from __future__ import annotations

import numpy as np
import pytest
from test_weight_paints import _Paints, _pointwise, _separable, _settle

from explorer.ui.views import weight_panels
from explorer.ui.views.weight_view import WeightView


@pytest.fixture
def view(qtbot) -> WeightView:
    widget = WeightView()
    qtbot.addWidget(widget)
    widget.resize(700, 400)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


@pytest.fixture
def set_data_calls(monkeypatch) -> list[tuple]:
    calls: list[tuple] = []
    original = weight_panels.MatrixPanel.set_data

    def counting(self, *args, **kwargs):
        calls.append(args)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(weight_panels.MatrixPanel, "set_data", counting)
    return calls


def _copy(weights: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    return {k: v.copy() for k, v in weights.items()}


@pytest.mark.parametrize(
    "kind, make, channels", [("pointwise", _pointwise, 16), ("separable", _separable, 3)]
)
def test_equal_weights_again_redraw_nothing(view, qtbot, rng, set_data_calls, kind, make, channels):
    weights = make(rng, 8)
    view.set_layer(kind, weights, in_channels=channels)
    _settle(qtbot, view)
    title, shown = view.title_text(), dict(view.panels())
    paints = _Paints(view)
    set_data_calls.clear()
    view.set_layer(kind, _copy(weights), in_channels=channels)  # new arrays, same numbers
    _settle(qtbot, view)
    assert set_data_calls == []
    assert paints.counts == {}
    assert view.title_text() == title and view.panels() == shown


def test_any_change_redraws(view, qtbot, rng, set_data_calls):
    weights = _pointwise(rng, 8)
    view.set_layer("pointwise", weights, in_channels=16)
    _settle(qtbot, view)
    changed = _copy(weights)
    changed["weight"][3, 5, 0, 0] += 1.0  # one weight edited
    set_data_calls.clear()
    view.set_layer("pointwise", changed, in_channels=16)
    assert set_data_calls
    np.testing.assert_array_equal(view.image_items()["weight"].image, changed["weight"][:, :, 0, 0])
    for redo in (
        lambda: view.set_layer("pointwise", {"weight": changed["weight"]}, in_channels=16),
        lambda: view.set_layer("standard", _copy(changed), in_channels=16),
        lambda: view.set_layer("pointwise", _copy(changed), in_channels=None),
    ):
        set_data_calls.clear()
        redo()
        assert set_data_calls
    view.set_channel_names(None, [f"c{i}" for i in range(8)])
    set_data_calls.clear()
    view.set_layer("pointwise", _copy(changed), in_channels=None)
    assert set_data_calls


def test_weights_come_back_after_a_message_or_a_curve(view, qtbot, rng, set_data_calls):
    weights = _pointwise(rng, 8)
    view.set_layer("pointwise", weights, in_channels=16)
    for away in (
        lambda: view.clear("Computing…"),
        lambda: view.show_curve("relu", np.arange(3.0), np.arange(3.0)),
    ):
        away()
        set_data_calls.clear()
        view.set_layer("pointwise", _copy(weights), in_channels=16)
        assert set_data_calls
        assert view._stack.currentWidget() is view._scroll
        assert set(view.panels()) == {"weight", "bias"}


def test_an_edit_of_one_part_redraws_only_that_part(view, qtbot, rng):
    """A separable layer's pointwise part edited: the depthwise kernels and their bias are
    the same values, so only the matrix and its bias strip are drawn and painted again."""
    weights = _separable(rng, 8)
    view.set_layer("separable", weights, in_channels=3)
    _settle(qtbot, view)
    paints = _Paints(view)
    edited = _copy(weights)
    edited["pointwise.weight"][2, 1, 0, 0] = 5.0
    edited["pointwise.bias"][0] = -5.0
    view.set_layer("separable", edited, in_channels=3)
    _settle(qtbot, view)
    assert paints.counts == {"matrix": 1, "matrix_bias": 1}
    items = view.image_items()
    np.testing.assert_array_equal(
        items["pointwise.weight"].image, edited["pointwise.weight"][..., 0, 0]
    )
    np.testing.assert_array_equal(items["pointwise.bias"].image[:, 0], edited["pointwise.bias"])
    kernels = view.panels()["depthwise.weight"]
    assert kernels.describe(0, 0) is not None  # the hover text follows the new call


def test_a_mosaic_with_gaps_is_not_redrawn_for_equal_values(view, qtbot, rng, set_data_calls):
    """Depthwise kernels are drawn with NaN gaps between them: equal values still count as
    equal (NaN != NaN must not force a redraw)."""
    weights = {"weight": rng.standard_normal((6, 1, 3, 3)).astype(np.float32)}
    view.set_layer("depthwise", weights, in_channels=6)
    _settle(qtbot, view)
    assert np.isnan(view.image_items()["weight"].image).any()
    view._drawn = None  # as if the layer changed: set_layer runs, its panel compares
    set_data_calls.clear()
    paints = _Paints(view)
    view.set_layer("depthwise", _copy(weights), in_channels=6)
    _settle(qtbot, view)
    assert set_data_calls  # called, and found nothing to redraw
    assert paints.counts == {}
