"""WeightView: the 1×1 matrix is W[:, :, 0, 0] with symmetric levels; kernels land in the
mosaic cell of their (output, input) channels; caps and notes; hover names the weight."""

from __future__ import annotations

import numpy as np
import pytest

from explorer.ui.views.weight_panels import kernel_mosaic, mosaic_cell
from explorer.ui.views.weight_view import MAX_KERNEL_GRID, WeightView
from explorer.ui.widgets.colormaps import lookup_table


@pytest.fixture
def view(qtbot) -> WeightView:
    widget = WeightView()
    qtbot.addWidget(widget)
    widget.resize(1200, 600)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def test_pointwise_matrix_is_the_weight_with_symmetric_levels(view, rng):
    w = rng.normal(0.1, 0.3, (128, 64, 1, 1)).astype(np.float32)
    b = rng.normal(0, 0.05, 128).astype(np.float32)
    view.set_layer("pointwise", {"weight": w, "bias": b})
    items = view.image_items()
    assert set(items) == {"weight", "bias"}
    np.testing.assert_array_equal(items["weight"].image, w[:, :, 0, 0])
    bound = np.abs(w).max()
    np.testing.assert_allclose(items["weight"].levels, [-bound, bound], rtol=1e-6)
    assert items["weight"].lut is lookup_table("diverging")
    np.testing.assert_array_equal(items["bias"].image[:, 0], b)
    np.testing.assert_allclose(items["bias"].levels, [-np.abs(b).max(), np.abs(b).max()])
    plot = view.panels()["weight"].plot
    assert plot.getAxis("bottom").labelText == "input channel c'"
    assert plot.getAxis("left").labelText == "output channel c"
    ticks = plot.getAxis("bottom")._tickLevels[0]
    assert ticks[0] == (0.5, "0")  # integer labels at cell centres
    assert all(label.isdigit() for _, label in ticks)
    assert view.panels()["weight"].cell_texts() == []  # too big for numbers


def test_small_matrix_writes_its_numbers(view):
    w = np.array([[0.299, 0.587, 0.114]], np.float32).reshape(1, 3, 1, 1)
    view.set_layer("pointwise", {"weight": w})
    assert set(view.image_items()) == {"weight"}  # no bias strip without a bias
    assert view.panels()["weight"].cell_texts() == ["0.30", "0.59", "0.11"]


def test_kernel_mosaic_places_each_kernel_in_its_cell(rng):
    kernels = rng.standard_normal((7, 3, 2)).astype(np.float32)
    mosaic = kernel_mosaic(kernels, cols=3, gap=1)
    assert mosaic.shape == (3 * 4 - 1, 3 * 3 - 1)
    for i in range(7):
        r, c = divmod(i, 3)
        np.testing.assert_array_equal(mosaic[r * 4 : r * 4 + 3, c * 3 : c * 3 + 2], kernels[i])
    assert np.isnan(mosaic[3, :]).all() and np.isnan(mosaic[:, 2]).all()  # gaps
    assert np.isnan(mosaic[8:, 3:]).all()  # unused cells of the last row
    assert mosaic_cell(5, 4, (3, 2), 1) == (1, 1, 1, 1)
    assert mosaic_cell(3, 0, (3, 2), 1) is None


def test_standard_grid_rows_are_outputs_and_columns_inputs(view, rng):
    w = rng.standard_normal((5, 4, 3, 3)).astype(np.float32)
    view.set_layer("standard", {"weight": w, "bias": np.zeros(5, np.float32)}, in_channels=4)
    image = view.image_items()["weight"].image
    for o in range(5):
        for i in range(4):
            np.testing.assert_array_equal(image[o * 4 : o * 4 + 3, i * 4 : i * 4 + 3], w[o, i])
    panel = view.panels()["weight"]
    assert panel.describe(4 * 2 + 1, 4 * 3 + 2) == (
        f"weight: output c=2, input c'=3, kernel (1, 2) = {w[2, 3, 1, 2]:.4g}"
    )
    assert view.note_text() == ""


def test_standard_grid_is_capped_with_a_note(view, rng):
    w = rng.standard_normal((128, 40, 3, 3)).astype(np.float32)
    view.set_layer("standard", {"weight": w}, in_channels=80)  # groups = 2
    image = view.image_items()["weight"].image
    assert image.shape == (MAX_KERNEL_GRID * 4 - 1, MAX_KERNEL_GRID * 4 - 1)
    note = view.note_text()
    assert f"showing {MAX_KERNEL_GRID} of 128 output channels" in note
    assert f"showing {MAX_KERNEL_GRID} of 40 input channels" in note
    assert "groups = 2" in note
    bound = np.abs(w).max()  # levels cover every weight, not just the drawn ones
    np.testing.assert_allclose(view.image_items()["weight"].levels, [-bound, bound], rtol=1e-6)


def test_grouped_conv_names_the_real_input_channel(view, rng):
    w = rng.standard_normal((8, 2, 3, 3)).astype(np.float32)
    view.set_layer("standard", {"weight": w}, in_channels=8)  # groups 4, 2 outputs each
    # output 5 is in group 2, whose inputs are channels 4 and 5
    assert "output c=5, input c'=5," in view.panels()["weight"].describe(5 * 4, 1 * 4)
    assert "within its group" in view.panels()["weight"].plot.getAxis("bottom").labelText


def test_depthwise_kernels_one_per_channel(view, rng):
    w = rng.standard_normal((12, 1, 3, 3)).astype(np.float32)
    view.set_layer("depthwise", {"weight": w, "bias": rng.standard_normal(12)}, in_channels=6)
    image = view.image_items()["weight"].image
    cols = (image.shape[1] + 1) // 4
    assert cols % 2 == 0  # multiplier 2: the kernels of one input channel share a row
    for ch in range(12):
        r, c = divmod(ch, cols)
        np.testing.assert_array_equal(image[r * 4 : r * 4 + 3, c * 4 : c * 4 + 3], w[ch, 0])
    assert "from input channel 3" in view.panels()["weight"].describe(
        (7 // cols) * 4, (7 % cols) * 4
    )
    assert "multiplier 2" in view.note_text()


def test_separable_shows_both_parts_labelled(view, rng):
    weights = {
        "depthwise.weight": rng.standard_normal((8, 1, 3, 3)).astype(np.float32),
        "depthwise.bias": rng.standard_normal(8).astype(np.float32),
        "pointwise.weight": rng.standard_normal((16, 8, 1, 1)).astype(np.float32),
        "pointwise.bias": rng.standard_normal(16).astype(np.float32),
    }
    view.set_layer("separable", weights, in_channels=8)
    items = view.image_items()
    assert set(items) == set(weights)
    np.testing.assert_array_equal(
        items["pointwise.weight"].image, weights["pointwise.weight"][:, :, 0, 0]
    )
    np.testing.assert_array_equal(
        items["depthwise.weight"].image[0:3, 0:3], weights["depthwise.weight"][0, 0]
    )
    assert "depthwise" in view.title_text() and "pointwise" in view.title_text()
    # switching kind hides the panels the new kind does not use
    view.set_layer("pointwise", {"weight": weights["pointwise.weight"]})
    assert set(view.image_items()) == {"weight"}
    assert not view.panels()["weight"].isHidden()


def test_hover_reads_out_the_weight(view, qtbot, rng):
    w = rng.standard_normal((4, 3, 1, 1)).astype(np.float32)
    view.set_layer("pointwise", {"weight": w})
    panel = view.panels()["weight"]
    point = panel.view.mapFromScene(panel.scene_pos_of(2, 1))
    with qtbot.waitSignal(panel.hovered, timeout=2000):
        qtbot.mouseMove(panel.view.viewport(), point)
    assert view.readout_text() == f"weight: W[c=2, c'=1] = {w[2, 1, 0, 0]:.4g}"


def test_clear_and_bad_input(view, rng):
    view.set_layer("pointwise", {"weight": rng.standard_normal((2, 2, 1, 1))})
    view.clear("no weights: the stack failed")
    assert view.image_items() == {}
    with pytest.raises(ValueError, match="kind"):
        view.set_layer("dense", {"weight": np.zeros((1, 1, 1, 1))})
    with pytest.raises(ValueError, match="pointwise.weight"):
        view.set_layer("separable", {"depthwise.weight": np.zeros((1, 1, 3, 3))})


def _separable(rng, channels=16, out=32):
    return {
        "depthwise.weight": rng.standard_normal((channels, 1, 3, 3)).astype(np.float32),
        "depthwise.bias": rng.standard_normal(channels).astype(np.float32),
        "pointwise.weight": rng.standard_normal((out, channels, 1, 1)).astype(np.float32),
        "pointwise.bias": rng.standard_normal(out).astype(np.float32),
    }


def _settle(qtbot, view):
    for _ in range(3):  # the coalesced re-fit runs after the layout, again after its own
        qtbot.wait(60)
        qtbot.waitUntil(lambda: not view._refit_timer.isActive(), timeout=5000)


@pytest.mark.parametrize("size, two_rows", [((1400, 300), False), ((520, 620), True)])
def test_separable_parts_follow_the_shape_of_the_view(view, qtbot, rng, size, two_rows):
    view.set_layer("separable", _separable(rng), in_channels=16)
    view.resize(*size)
    _settle(qtbot, view)
    assert view.is_two_rows() is two_rows
    panels = view.panels()
    kernels, matrix = panels["depthwise.weight"], panels["pointwise.weight"]
    if two_rows:
        assert matrix.y() > kernels.y() + kernels.height() - 1
    else:
        assert matrix.x() > kernels.x() + kernels.width() - 1 and matrix.y() == kernels.y()


@pytest.mark.parametrize("size", [(440, 340), (560, 330), (1400, 300)])
def test_no_panel_is_squeezed_below_what_its_graphics_need(view, qtbot, rng, size):
    for kind, weights in (
        ("separable", _separable(rng, 3, 16)),
        (
            "standard",
            {"weight": rng.standard_normal((16, 3, 3, 3)), "bias": rng.standard_normal(16)},
        ),
    ):
        view.set_layer(kind, weights, in_channels=3)
        view.resize(*size)
        _settle(qtbot, view)
        for key, panel in view.panels().items():
            need = panel.minimumSizeHint()
            assert panel.width() >= need.width(), (kind, key, size)
            assert panel.height() >= need.height(), (kind, key, size)
            # the graphics layout fits inside its widget (nothing drawn off the edge)
            assert panel.view.ci.boundingRect().width() <= panel.view.width() + 1


def test_bias_numbers_follow_resizes(view, qtbot, rng):
    view.set_layer(
        "pointwise", {"weight": rng.standard_normal((8, 3, 1, 1)), "bias": rng.standard_normal(8)}
    )
    bias = view.panels()["bias"]
    assert len(bias.cell_texts()) == 8
    view.resize(1200, 600)
    _settle(qtbot, view)
    assert bias.numbers_shown()  # 8 rows in a tall panel: room for numbers
    view.resize(1200, 170)
    _settle(qtbot, view)
    # the strip asks for rows tall enough for its numbers (issue 15): the weights scroll
    # rather than squeeze them
    assert bias.height() >= bias.minimumSizeHint().height()
    assert view._scroll.verticalScrollBar().maximum() > 0
    assert bias.numbers_shown()
    bias.setFixedHeight(50)  # forced lower than it asks: rows too short to write in
    _settle(qtbot, view)
    assert not bias.numbers_shown()
    bias.setMinimumHeight(0)
    bias.setMaximumHeight(16777215)
    view.resize(1200, 600)
    _settle(qtbot, view)
    assert bias.numbers_shown()


def test_depthwise_mosaic_fits_the_panel_shape(view, qtbot, rng):
    w = rng.standard_normal((64, 1, 3, 3)).astype(np.float32)
    view.set_layer("depthwise", {"weight": w}, in_channels=64)
    view.resize(1400, 260)
    _settle(qtbot, view)
    wide = view.image_items()["weight"].image.shape
    view.resize(420, 900)
    _settle(qtbot, view)
    tall = view.image_items()["weight"].image.shape
    assert wide[1] / wide[0] > 1 > tall[1] / tall[0]  # more columns when wide, rows when tall
    image = view.image_items()["weight"].image
    cols = (image.shape[1] + 1) // 4
    for ch in (0, 37, 63):  # each kernel still lands in its cell
        r, c = divmod(ch, cols)
        np.testing.assert_array_equal(image[r * 4 : r * 4 + 3, c * 4 : c * 4 + 3], w[ch, 0])


def test_a_lone_matrix_takes_the_width(view, qtbot, rng):
    view.set_layer("separable", _separable(rng), in_channels=16)
    view.set_layer(
        "pointwise",
        {"weight": rng.standard_normal((32, 16, 1, 1)), "bias": rng.standard_normal(32)},
    )
    _settle(qtbot, view)
    matrix, bias = view.panels()["weight"], view.panels()["bias"]
    assert matrix.x() <= 4 and matrix.width() + bias.width() >= view.width() - 20


def test_a_big_kernel_grid_does_not_look_for_numbers(view, rng, monkeypatch):
    """Numbers are looked for only in a panel that writes them (≤ MAX_TEXT_SIDE cells each
    way): a 16×16 grid of 31×31 kernels (a 511×511 mosaic) never scans its pixels for them
    (that scan once took 0.6 s on the GUI thread, issue 16)."""
    from explorer.ui.views import weight_panels

    scanned: list[int] = []
    real = np.argwhere

    def spy(a):
        scanned.append(int(np.asarray(a).size))
        return real(a)

    monkeypatch.setattr(weight_panels.np, "argwhere", spy)
    w = rng.standard_normal((16, 16, 31, 31)).astype(np.float32)
    view.set_layer("standard", {"weight": w}, in_channels=16)
    assert view.panels()["weight"].cell_texts() == []
    assert all(size <= weight_panels.MAX_TEXT_SIDE**2 for size in scanned), scanned
    view.set_layer("pointwise", {"weight": w[:4, :3, :1, :1]})  # small: its numbers are found
    assert len(view.panels()["weight"].cell_texts()) == 12 and scanned
