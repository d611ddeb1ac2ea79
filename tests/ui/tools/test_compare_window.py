"""Tools ▸ Compare Standard vs Separable, in the real window."""

from __future__ import annotations

import numpy as np
import pytest
import shiboken6

from explorer.core.io.scene import InputSpec, Scene
from explorer.core.model.specs import default_spec
from explorer.ui.tools.compare_window import compare_defaults

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")


@pytest.fixture
def window(qtbot, make_window):
    layers = (
        default_spec("standard", out_channels=8),
        default_spec("separable", out_channels=12, kernel_size=5),
    )
    win = make_window(
        Scene(input=InputSpec(image="sample:chelsea", size=32), layers=layers, seed=2)
    )
    yield win
    tools = win.tools["compare_window"]
    qtbot.waitUntil(
        lambda: not tools.window.busy and not win.tools["layer_timing"].busy, timeout=30000
    )
    if shiboken6.isValid(tools.window):  # pytest-qt has deleted the main window (and it) by now
        tools.window.close()


def numbers(label_text: str) -> dict[str, str]:
    return dict(line.split(": ", 1) for line in label_text.splitlines())


def test_defaults_from_the_stack():
    dw, pw = default_spec("depthwise", kernel_size=5), default_spec("pointwise", out_channels=7)
    std, sep = default_spec("standard", out_channels=9, kernel_size=7), default_spec("separable")
    assert compare_defaults([dw, pw], 0, [3, 3]) == (0, 7, 5)
    assert compare_defaults([dw, pw], 1, [3, 3]) == (0, 7, 5)  # the pair's input
    assert compare_defaults([pw], 0, [3]) == (0, 7, 3)
    assert compare_defaults([dw], 0, [4]) == (0, 4, 5)
    assert compare_defaults([std, sep], 0, [3, 9]) == (0, 9, 7)
    assert compare_defaults([std, sep], 1, [3, 9]) == (1, 16, 3)
    assert compare_defaults([std], -1, [3]) == (-1, 16, 3)


def test_compare_selected_separable_layer(qtbot, window):
    c = window.controller
    window.document.select(1)
    tools = window.tools["compare_window"]
    assert tools.compare_action.shortcut().toString() == "Ctrl+K"
    assert tools.compare_action in window.actions.tools_menu.actions()
    cw = tools.window
    cw.repeats.setValue(3)
    tools.compare_action.trigger()
    assert cw.busy and cw.busy_bar.isVisibleTo(cw)  # measuring on a worker, GUI free
    qtbot.waitUntil(lambda: cw.result is not None, timeout=60000)
    qtbot.waitUntil(lambda: not cw.busy_bar.isVisibleTo(cw))
    r = cw.result
    assert (cw.out_channels.value(), cw.kernel.value()) == (12, 5)
    x = np.asarray(c.results[0].output)  # the separable layer's input
    assert r.input_shape == x.shape
    c_in, h, w = x.shape
    # costs written out by hand: k = 5, C_in = 8, C_out = 12, 'same' padding
    std_params, sep_params = 12 * 8 * 25 + 12, (8 * 25 + 8) + (8 * 12 + 12)
    std_macs, sep_macs = h * w * 12 * 8 * 25, h * w * (8 * 25 + 8 * 12)
    std, sep = numbers(cw.standard.stats.text()), numbers(cw.separable.stats.text())
    assert std["params"] == f"{std_params:,}" and sep["params"] == f"{sep_params:,}"
    assert std["MACs"].startswith(f"{std_macs:,} ") and sep["MACs"].startswith(f"{sep_macs:,} ")
    assert std["FLOPs"].startswith(f"{2 * std_macs:,} ")
    assert r.standard_seconds > 0 and r.separable_seconds > 0
    assert (
        f"{r.standard_seconds * 1e3:.2f} ms" in std["measured forward time"]
        or "µs" in std["measured forward time"]
    )
    assert f"1/C_out + 1/k² = 1/12 + 1/25 = {1 / 12 + 1 / 25:.4f}" in cw.ratios.text()
    assert f"MACs ratio {sep_macs / std_macs:.4f}" in cw.ratios.text()
    assert cw.summary.text() == r.summary and "MACs" in r.summary and "on the CPU" in r.summary
    # the grids show the two outputs
    for column, out in ((cw.standard, r.standard_output), (cw.separable, r.separable_output)):
        shown = column.grid.visible_image_items()
        assert len(shown) == 6
        for ch, item in shown:
            np.testing.assert_array_equal(item.image, out[ch])
    # New settings, run again: the later request wins.
    cw.out_channels.setValue(5)
    cw.run()
    cw.out_channels.setValue(20)
    cw.kernel.setValue(3)
    cw.run_button.click()
    qtbot.waitUntil(lambda: not cw.busy, timeout=60000)
    assert cw.result.standard_output.shape == (20, h, w)
    assert cw.result.separable_output.shape == (20, h, w)
    assert f"1/20 + 1/9 = {1 / 20 + 1 / 9:.4f}" in cw.ratios.text()
    assert numbers(cw.standard.stats.text())["params"] == f"{20 * 8 * 9 + 20:,}"


def test_compare_on_the_input_image(qtbot, window):
    window.document.select(-1)
    cw = window.tools["compare_window"].window
    cw.repeats.setValue(2)
    cw.open_for_selection()
    qtbot.waitUntil(lambda: cw.result is not None, timeout=60000)
    assert cw.result.input_shape == window.controller.input_image.shape
    assert cw.result.standard_output.shape[0] == 16 and "input image" in cw.source.text()


def test_compares_the_selected_layer_as_it_is(qtbot, make_window):
    """A standard layer with stride 2, padding 1, dilation 2, BN and ReLU is compared as it
    is: the standard side IS the layer (same weights), so its output equals the window's."""
    layers = (
        default_spec(
            "standard",
            out_channels=6,
            kernel_size=3,
            stride=2,
            padding=1,
            dilation=2,
            batch_norm=True,
            activation="relu",
        ),
    )
    win = make_window(
        Scene(input=InputSpec(image="sample:chelsea", size=32), layers=layers, seed=5)
    )
    win.document.select(0)
    cw = win.tools["compare_window"].window
    cw.repeats.setValue(2)
    cw.open_for_selection()
    qtbot.waitUntil(lambda: cw.result is not None, timeout=60000)
    r = cw.result
    assert r.standard == layers[0]
    sep = r.separable
    assert (sep.stride, sep.padding, sep.dilation, sep.batch_norm, sep.activation) == (
        (2, 2),
        (1, 1),
        (2, 2),
        True,
        "relu",
    )
    np.testing.assert_allclose(r.standard_output, win.controller.results[0].output, atol=1e-5)
    assert r.separable_output.shape == r.standard_output.shape
    assert "stride 2×2" in cw.source.text() and "dilation 2×2" in cw.source.text()
    assert "BatchNorm" in cw.source.text() and "activation relu" in cw.source.text()
    # headline and detail use one rounding; the memory-traffic sentence appears once
    detail = cw.ratios.text()
    assert f"separable is {r.speed_words}" in detail
    if abs(r.speedup - 1) > 0.05 and r.speedup < 0.75 * r.mac_reduction:
        assert r.speed_words in cw.summary.text()
    page = "\n".join(label.text() for label in cw.findChildren(type(cw.summary)))
    assert page.count("memory traffic") <= 1  # only in the headline, when it applies
    # one colour scale for both sides
    std_levels = [item.levels for _, item in cw.standard.grid.visible_image_items()]
    sep_levels = [item.levels for _, item in cw.separable.grid.visible_image_items()]
    assert std_levels and all(np.allclose(lv, std_levels[0]) for lv in std_levels + sep_levels)
    lo, hi = std_levels[0]
    both = np.concatenate([r.standard_output.ravel(), r.separable_output.ravel()])
    assert lo <= both.min() + 1e-6 and hi >= both.max() - 1e-6
    cw.close()
