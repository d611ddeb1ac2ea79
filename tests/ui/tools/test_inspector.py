"""The pixel inspector in the real window: the value it computes is the feature map's value."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt
from ui_helpers import wait_run

from explorer.core.analysis.inspect import format_value
from explorer.core.io.scene import InputSpec, Scene
from explorer.core.model.specs import default_spec

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")


def scene_all_kinds() -> Scene:
    return Scene(
        input=InputSpec(image="sample:chelsea", size=32),
        layers=(
            default_spec(
                "standard", out_channels=6, stride=2, padding=1, batch_norm=True, activation="relu"
            ),
            default_spec("depthwise", multiplier=2, activation="relu6"),
            default_spec("pointwise", out_channels=5, batch_norm=True, activation="relu"),
            default_spec(
                "separable", out_channels=4, kernel_size=5, batch_norm=True, activation="relu"
            ),
            default_spec("standard", out_channels=4, groups=2, padding=0),
        ),
        seed=5,
    )


@pytest.fixture
def window(make_window):
    win = make_window(scene_all_kinds())
    win.tools["inspector_dock"].show()
    return win


def grid_maps(win) -> dict[int, np.ndarray]:
    """What the feature grid draws now: channel → the tile's array (copied)."""
    return {ch: np.array(item.image) for ch, item in win.feature_grid.visible_image_items()}


def inspect(qtbot, win, channel, row, col):
    dock = win.tools["inspector_dock"]
    dock.set_pixel(channel, row, col)
    qtbot.waitUntil(
        lambda: (
            dock.inspection is not None
            and dock.inspection.breakdown.out_channel == channel
            and (dock.inspection.breakdown.row, dock.inspection.breakdown.col) == (row, col)
        ),
        timeout=3000,
    )
    return dock.inspection


PIXELS = [(0, 0, 0), (1, 3, 7), (3, 15, 10), (2, 8, 0), (0, 11, 15)]


@pytest.mark.parametrize(
    "index,part", [(0, None), (1, None), (2, None), (3, None), (3, "depthwise"), (4, None)]
)
def test_value_equals_feature_map(qtbot, window, index, part):
    window.document.select(index)
    if part is not None:
        window.part_choice.setCurrentIndex(window.part_choice.findData(part))
    maps = grid_maps(window)
    h, w = next(iter(maps.values())).shape
    dock = window.tools["inspector_dock"]
    for ch, row, col in PIXELS:
        ch, row, col = ch % len(maps), min(row, h - 1), min(col, w - 1)
        ins = inspect(qtbot, window, ch, row, col)
        assert ins.value == pytest.approx(float(maps[ch][row, col]), rel=1e-4, abs=1e-5)
        assert "✓" in dock.check.text()
        # the formula ends with the value the map shows (3 significant digits)
        assert dock.formula_text().endswith(f"= {format_value(maps[ch][row, col])}")
        # every output channel at this pixel, recomputed from the input, equals the maps
        expected = np.array([maps[c][row, col] for c in sorted(maps)])
        np.testing.assert_allclose(ins.outputs, expected, rtol=1e-4, atol=1e-5)


def test_pointwise_bars_show_input_matrix_and_output(qtbot, window):
    doc, c = window.document, window.controller
    doc.select(2)
    maps = grid_maps(window)
    ins = inspect(qtbot, window, 3, 9, 4)
    page = window.tools["inspector_dock"].pointwise_page
    x = np.asarray(c.results[1].output)  # the pointwise layer's input: depthwise output
    np.testing.assert_allclose(page.x_bars.heights(), x[:, 9, 4], rtol=1e-6)
    weight = c.results[2].weights["weight"][:, :, 0, 0]
    np.testing.assert_allclose(page.matrix.image_item.image, weight, rtol=1e-6)
    np.testing.assert_allclose(page.products.heights(), x[:, 9, 4] * weight[3], rtol=1e-5)
    np.testing.assert_allclose(
        page.y_bars.heights(), [maps[k][9, 4] for k in sorted(maps)], rtol=1e-4, atol=1e-5
    )
    # the highlighted row of K is the chosen output channel
    rect = page.row_rect.rect()
    assert (rect.top(), rect.height(), rect.width()) == (3, 1, x.shape[0])
    assert ins.box.height == 3 + 2 * 2  # 3×3 stride 2, then 3×3 depthwise: 3 + 2·2
    # The output channel box changes the channel of the formula.
    window.tools["inspector_dock"].out_channel.setValue(1)
    qtbot.waitUntil(lambda: window.tools["inspector_dock"].inspection.breakdown.out_channel == 1)
    assert window.tools["inspector_dock"].inspection.value == pytest.approx(
        float(maps[1][9, 4]), rel=1e-4, abs=1e-5
    )


def test_window_grids_and_receptive_field(qtbot, window):
    c = window.controller
    window.document.select(0)
    ins = inspect(qtbot, window, 4, 5, 6)
    page = window.tools["inspector_dock"].window_page
    image = np.asarray(c.input_image)
    # 3×3, stride 2, padding 1: output (5, 6) reads input rows 9..11, cols 11..13
    np.testing.assert_allclose(page.window.image_item.image, image[0, 9:12, 11:14], rtol=1e-6)
    page.channel.setValue(2)
    np.testing.assert_allclose(page.window.image_item.image, image[2, 9:12, 11:14], rtol=1e-6)
    np.testing.assert_allclose(
        page.kernel.image_item.image, c.results[0].weights["weight"][4, 2], rtol=1e-6
    )
    np.testing.assert_allclose(
        page.sums.heights(), ins.breakdown.products.sum(axis=(1, 2)), rtol=1e-6
    )
    view = window.tools["inspector_dock"].input_view
    assert view.box_rect() == (9, 11, 3, 3)
    # the corner pixel's window hangs over the padding: the outline is cut at the image edge
    inspect(qtbot, window, 0, 0, 0)
    assert view.box_rect() == (0, 0, 2, 2)
    assert "padding" in view.caption.text()


def test_click_and_follow_mouse(qtbot, window):
    window.document.select(2)
    grid = window.feature_grid
    maps = grid_maps(window)
    dock = window.tools["inspector_dock"]
    view = grid.graphics_view()
    qtbot.mouseClick(
        view.viewport(),
        Qt.MouseButton.LeftButton,
        pos=view.mapFromScene(grid.scene_pos_of(2, 6, 3)),
    )
    qtbot.waitUntil(
        lambda: dock.inspection is not None and dock.inspection.breakdown.out_channel == 2
    )
    assert (dock.inspection.breakdown.row, dock.inspection.breakdown.col) == (6, 3)
    assert dock.inspection.value == pytest.approx(float(maps[2][6, 3]), rel=1e-4, abs=1e-5)
    # hovering: ignored until "Follow the mouse" is on
    grid.pixel_hovered.emit(1, 4, 4, float(maps[1][4, 4]))
    qtbot.wait(20)
    assert dock.inspection.breakdown.out_channel == 2
    dock.follow.setChecked(True)
    grid.pixel_hovered.emit(1, 4, 4, float(maps[1][4, 4]))
    qtbot.waitUntil(lambda: dock.inspection.breakdown.out_channel == 1)
    assert dock.inspection.value == pytest.approx(float(maps[1][4, 4]), rel=1e-4, abs=1e-5)


def test_dock_toggle_and_messages(qtbot, window):
    dock = window.tools["inspector_dock"]
    toggle = dock.toggleViewAction()
    assert toggle in window.actions.docks_menu.actions()
    assert toggle.shortcut().toString() == "Ctrl+I"
    toggle.trigger()
    assert dock.isHidden()
    toggle.trigger()
    assert not dock.isHidden()
    window.document.select(-1)
    dock.set_pixel(0, 1, 1)
    qtbot.waitUntil(lambda: "select a layer" in dock.message.text())
    assert dock.inspection is None
    # after an edit the inspected value follows the new run
    window.document.select(2)
    inspect(qtbot, window, 0, 2, 2)
    doc = window.document
    doc.replace_layer(2, doc.layers[2].with_changes(activation="none"))
    wait_run(qtbot, window)
    maps = grid_maps(window)
    # the dock re-inspects on the next event-loop turn after the result (a run done on the
    # GUI thread may end just before): wait for the new formula, not only the value (a
    # positive value is the same with and without the ReLU)
    qtbot.waitUntil(
        lambda: (
            dock.inspection is not None
            and "ReLU" not in dock.formula_text()
            and dock.inspection.value == pytest.approx(float(maps[0][2, 2]), rel=1e-4, abs=1e-5)
        )
    )


def test_first_show_makes_one_plot_per_event_loop_turn(make_window, monkeypatch):
    """The pages' plots (tens of ms each) are made one per turn, then put together; the
    input is converted for display once while it stays the same array."""
    from explorer.ui.tools import inspector_plots

    made: list[str] = []
    wrapped = {
        page: tuple(
            (name, lambda make=make, name=name: made.append(name) or make()) for name, make in parts
        )
        for page, parts in inspector_plots.PAGE_PARTS.items()
    }
    monkeypatch.setattr(inspector_plots, "PAGE_PARTS", wrapped)
    win = make_window(scene_all_kinds())
    dock = win.tools["inspector_dock"]
    dock._build_next_plot()  # the input view first
    assert dock._input_view is not None and made == []
    counts = []
    for _ in range(20):
        before = len(made)
        dock._build_next_plot()
        counts.append(len(made) - before)
        if dock._plots is not None:
            break
    n_parts = sum(len(parts) for parts in wrapped.values())
    assert dock._plots is not None and len(made) == n_parts
    assert max(counts) == 1  # never two plots in one turn
    assert counts.count(0) == 2  # each page put together in a turn of its own
    assert dock.pointwise_page.matrix is not None and dock.window_page.sums is not None
    calls = []
    real = inspector_plots.display_image
    monkeypatch.setattr(inspector_plots, "display_image", lambda a: calls.append(1) or real(a))
    image = win.controller.input_image
    dock.input_view._source = None
    for _ in range(3):
        dock.input_view.set_image(image)
    assert len(calls) == 1


def test_the_plots_chain_lets_a_timer_tick_between_two_plots(qtbot, make_window, monkeypatch):
    """Each plot comes in a pass of its own: a zero single shot is a posted event, run in
    the same pass as the other posted events, so a chain of them made four 8-13 ms plots in
    one gap of the GUI thread; a timer (the heartbeat, a paint's turn) must tick between."""
    import time

    from PySide6.QtCore import Qt, QTimer

    from explorer.ui.tools import inspector_plots

    ticks = [0]
    at: list[int] = []  # the tick count when each plot was made
    wrapped = {
        page: tuple(
            (name, lambda make=make: at.append(ticks[0]) or time.sleep(0.012) or make())
            for name, make in parts
        )
        for page, parts in inspector_plots.PAGE_PARTS.items()
    }
    monkeypatch.setattr(inspector_plots, "PAGE_PARTS", wrapped)
    win = make_window(scene_all_kinds())
    dock = win.tools["inspector_dock"]
    heartbeat = QTimer(interval=10)  # the monkey's; each plot takes longer (12 ms)
    heartbeat.setTimerType(Qt.TimerType.PreciseTimer)
    heartbeat.timeout.connect(lambda: ticks.__setitem__(0, ticks[0] + 1))
    heartbeat.start()
    dock._build_next_plot()  # starts the chain, as the first show does
    n_parts = sum(len(parts) for parts in wrapped.values())
    qtbot.waitUntil(lambda: dock._plots is not None, timeout=10000)
    heartbeat.stop()
    assert len(at) == n_parts
    assert all(b > a for a, b in zip(at, at[1:], strict=False)), at


def test_first_show_paints_the_dock_before_making_any_plot(qtbot, make_window, monkeypatch):
    """Opening the inspector: the window is laid out and painted with the dock first, and
    the plots start a moment after that paint, not in the same pass of the event loop
    (a plot made in the pass of that paint made one 23 ms turn of ≈ 11 + 12 ms)."""
    import time

    from PySide6.QtCore import QEvent, QObject

    from explorer.ui.tools import inspector_dock, inspector_plots

    order: list[tuple[str, float]] = []
    wrapped = {
        page: tuple(
            (name, lambda make=make: order.append(("plot", time.perf_counter())) or make())
            for name, make in parts
        )
        for page, parts in inspector_plots.PAGE_PARTS.items()
    }
    monkeypatch.setattr(inspector_plots, "PAGE_PARTS", wrapped)
    win = make_window(scene_all_kinds())
    dock = win.tools["inspector_dock"]

    class Paints(QObject):
        def eventFilter(self, watched, event):  # noqa: N802
            if event.type() == QEvent.Type.Paint:
                order.append(("paint", time.perf_counter()))
            return False

    spy = Paints(dock)
    dock.installEventFilter(spy)
    dock.toggleViewAction().trigger()
    qtbot.waitUntil(lambda: dock._plots is not None, timeout=10000)
    dock.removeEventFilter(spy)
    names = [name for name, _ in order]
    first_plot = names.index("plot")
    assert "paint" in names[:first_plot]
    painted = next(t for name, t in order if name == "paint")
    # a delay, never a limit on speed: a slower machine only makes it longer
    assert order[first_plot][1] - painted >= 0.9 * inspector_dock._AFTER_PAINT_MS / 1000
