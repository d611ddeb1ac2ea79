"""The Wiring dock draws exactly the connections of the selected layer's groups."""

from __future__ import annotations

import pytest
from PySide6 import QtCore, QtGui

from explorer.core.io.scene import InputSpec, Scene
from explorer.core.model.specs import default_spec
from explorer.ui.tools.wiring_view import MAX_SHOWN

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")

LAYERS = (
    default_spec("standard", out_channels=8),  # 3 → 8, all-to-all
    default_spec("standard", out_channels=12, groups=4),  # 8 → 12 in 4 groups
    default_spec("depthwise", multiplier=2),  # 12 → 24
    default_spec("separable", out_channels=6, multiplier=2),  # 24 → 48 → 6
    default_spec("pointwise", out_channels=100),  # 6 → 100 (capped)
)


@pytest.fixture
def window(make_window):
    win = make_window(
        Scene(input=InputSpec(image="sample:chelsea", size=24), layers=LAYERS), wait=False
    )
    win.tools["wiring_view"].show()
    return win


def grouped_pairs(c_in, c_out, groups, shown_in=None, shown_out=None):
    """All (in, out) pairs in the same group, written out by hand."""
    per_in, per_out = c_in // groups, c_out // groups
    return {
        (i, o)
        for i in range(shown_in or c_in)
        for o in range(shown_out or c_out)
        if i // per_in == o // per_out
    }


def drawn(qtbot, win, index):
    dock = win.tools["wiring_view"]
    win.document.select(index)
    dock.refresh()
    return dock.view.drawn_edges()


def test_edges_equal_connectivity(qtbot, window):
    assert drawn(qtbot, window, 0) == [grouped_pairs(3, 8, 1)]
    edges = drawn(qtbot, window, 1)
    assert edges == [grouped_pairs(8, 12, 4)]
    assert (1, 2) in edges[0] and (2, 2) not in edges[0]  # group 0: inputs 0-1 → outputs 0-2
    # depthwise ×2: output o is fed by input o // 2 only
    assert drawn(qtbot, window, 2) == [{(o // 2, o) for o in range(24)}]
    dw, pw = drawn(qtbot, window, 3)
    assert dw == {(o // 2, o) for o in range(48)}
    assert pw == {(i, o) for i in range(48) for o in range(6)}
    view = window.tools["wiring_view"].view
    assert view.shown == [24, 48, 6]  # three columns
    assert "depthwise: groups = 24" in view.caption.text()


def test_large_layers_are_capped(qtbot, window):
    edges = drawn(qtbot, window, 4)
    assert edges == [{(i, o) for i in range(6) for o in range(MAX_SHOWN)}]
    view = window.tools["wiring_view"].view
    assert view.shown == [6, MAX_SHOWN]
    assert f"first {MAX_SHOWN}" in view.caption.text()
    assert "600 connections of 600" in view.caption.text()


def test_follows_edits_and_selection(qtbot, window):
    doc = window.document
    dock = window.tools["wiring_view"]
    doc.select(1)
    doc.replace_layer(1, doc.layers[1].with_changes(groups=2))
    qtbot.waitUntil(lambda: dock.view.drawn_edges() == [grouped_pairs(8, 12, 2)], timeout=3000)
    doc.select(-1)
    qtbot.waitUntil(lambda: dock.view.stages == [], timeout=3000)
    assert "Select a layer" in dock.view.caption.text()
    # groups that do not divide the channels: the error, no drawing
    doc.select(1)
    doc.replace_layer(1, doc.layers[1].with_changes(groups=5))
    qtbot.waitUntil(
        lambda: dock.view.stages == [] and "error" in dock.view.caption.text(), timeout=3000
    )
    assert dock.toggleViewAction() in window.actions.docks_menu.actions()


def test_an_edit_elsewhere_does_not_redraw_the_diagram(qtbot, window, monkeypatch):
    """Costs and results of an edit of another layer leave the selected layer's diagram as
    it is (redrawing it took 50-250 ms of the GUI thread per edit); an edit of the selected
    layer, or a new input to it, redraws it."""
    from dataclasses import replace

    dock = window.tools["wiring_view"]
    window.document.select(1)
    dock.refresh()
    calls = []
    original = dock.view.set_stages
    monkeypatch.setattr(
        dock.view, "set_stages", lambda *a, **k: (calls.append(1), original(*a, **k))
    )
    doc = window.document
    doc.replace_layer(4, replace(doc.layers[4], out_channels=50), "edit another layer")
    qtbot.waitUntil(lambda: window.controller.cost.layers[4].output_shape[0] == 50)
    dock.refresh()
    assert calls == []
    assert dock.view.drawn_edges() == [grouped_pairs(8, 12, 4)]
    doc.replace_layer(0, replace(doc.layers[0], out_channels=4), "the input of layer 2")
    qtbot.waitUntil(lambda: window.controller.cost.layers[1].input_shape[0] == 4)
    dock.refresh()
    assert calls == [1]
    assert dock.view.drawn_edges() == [grouped_pairs(4, 12, 4)]


def test_an_edit_that_keeps_the_wiring_does_not_redraw_it(qtbot, window, monkeypatch):
    """Bias, kernel size or stride of the selected layer leave which channels feed which as
    they were: the diagram on screen stays (a redraw was 10-30 ms of an edit in monkey
    runs); groups redraw it."""
    from dataclasses import replace

    dock = window.tools["wiring_view"]
    doc = window.document
    doc.select(1)
    dock.refresh()
    calls = []
    original = dock.view.set_stages
    monkeypatch.setattr(
        dock.view, "set_stages", lambda *a, **k: (calls.append(1), original(*a, **k))
    )
    layer = doc.layers[1]
    doc.replace_layer(1, replace(layer, bias=not layer.bias, kernel_size=(5, 5)), "bias")
    dock.refresh()
    assert calls == []
    assert dock.view.drawn_edges() == [grouped_pairs(8, 12, 4)]
    doc.replace_layer(1, replace(doc.layers[1], groups=2), "groups")
    dock.refresh()
    assert calls == [1]
    assert dock.view.drawn_edges() == [grouped_pairs(8, 12, 2)]
    doc.select(-1)
    dock.refresh()
    doc.select(1)
    dock.refresh()  # after a message the diagram is drawn again
    assert calls == [1, 1]


def test_many_groups_share_one_line_item_per_colour(qtbot, make_window):
    """A depthwise layer of 64 channels is 64 groups: they are drawn with one line item per
    group colour (8), not one per group (adding an item to the view costs 1-3 ms), and
    every connection is still there."""
    from explorer.ui.tools.wiring_view import _GROUP_COLORS

    win = make_window(
        Scene(
            input=InputSpec(shape=(64, 8, 8)),
            layers=(default_spec("depthwise"),),
        ),
        wait=False,
    )
    dock = win.tools["wiring_view"]
    dock.show()
    (edges,) = drawn(qtbot, win, 0)
    assert edges == {(c, c) for c in range(64)}
    assert len(dock.view.line_items) == len(_GROUP_COLORS)


def test_a_redraw_reuses_the_items_it_made(qtbot, window):
    """Drawing another layer updates the items already in the view (making and adding
    pg.TextItems and plot items was 20-50 ms per redraw); labels and heads say the new
    layer's channels, and items not needed are hidden, not drawn."""
    from explorer.ui.widgets.anchored_text import AnchoredText

    dock = window.tools["wiring_view"]
    view = dock.view
    drawn(qtbot, window, 3)  # the largest: 24 → 48 → 6, three columns
    made = view.graphics_items()
    scene_items = set(view.box.scene().items())
    assert drawn(qtbot, window, 1) == [grouped_pairs(8, 12, 4)]
    assert view.graphics_items() == made  # the same objects, none made
    assert set(view.box.scene().items()) == scene_items  # none added or removed
    texts = view.label_texts()
    assert texts[:2] == ["input\n8 ch", "output\n12 ch"]
    assert texts[2:] == [str(i) for i in range(8)] + [str(i) for i in range(12)]
    shown = [item for item in made if item.isVisible()]
    assert len([i for i in shown if isinstance(i, AnchoredText)]) == len(texts)
    assert all(item.isVisible() == (item in view.line_items) for item in view._curves)
    # back to the larger one: the same items again, every edge there
    dw, pw = drawn(qtbot, window, 3)
    assert dw == {(o // 2, o) for o in range(48)} and len(pw) == 48 * 6
    assert view.graphics_items() == made


class _Paints(QtCore.QObject):
    """The regions of the paint events a widget gets, and how often it was resized."""

    def __init__(self, widget):
        super().__init__()
        self.regions = []
        self.resizes = 0
        widget.installEventFilter(self)

    def eventFilter(self, obj, event):  # noqa: N802 - Qt's name
        if event.type() == QtCore.QEvent.Type.Paint:
            self.regions.append(QtGui.QRegion(event.region()))
        elif event.type() == QtCore.QEvent.Type.Resize:
            self.resizes += 1
        return False


def test_a_redraw_repaints_one_rectangle(qtbot, window):
    """A redraw changes the dots, labels and lines: the view repaints the rectangle around
    them, not the exact areas (a region of several rectangles, to which Qt clips lines 5-20×
    slower: 20-60 ms paints of this dock in monkey runs)."""
    dock = window.tools["wiring_view"]
    drawn(qtbot, window, 0)
    qtbot.waitExposed(dock)
    paints = _Paints(dock.view.view.viewport())
    for index in (1, 3, 4, 2, 0, 4, 3):  # before: 4 after 3 was a region of 17 rectangles
        drawn(qtbot, window, index)
        n = len(paints.regions)
        qtbot.waitUntil(lambda n=n: len(paints.regions) > n, timeout=3000)
        qtbot.wait(20)
    assert [region.rectCount() for region in paints.regions] == [1] * len(paints.regions)


def test_dense_diagrams_are_drawn_with_opaque_aliased_lines(qtbot, window):
    """Up to MAX_ANTIALIASED lines of a stage are anti-aliased and translucent; more are
    aliased and opaque (5-20× cheaper to paint), and still every connection is drawn."""
    from explorer.ui.tools.wiring_view import MAX_ANTIALIASED

    def styles():
        return {
            (item.opts["antialias"], item.opts["pen"].color().alpha())
            for item in window.tools["wiring_view"].view.line_items
        }

    assert len(drawn(qtbot, window, 0)[0]) <= MAX_ANTIALIASED  # 3 → 8: 24 lines
    assert styles() == {(True, 150)}
    edges = drawn(qtbot, window, 4)  # 6 → 64 shown: 384 lines
    assert len(edges[0]) == 6 * MAX_SHOWN > MAX_ANTIALIASED
    assert styles() == {(False, 255)}


def test_results_for_another_layer_do_not_repaint_the_dock(qtbot, window):
    """An edit of another layer and its results leave the diagram's scene unchanged and its
    view unpainted (a paint of a dense diagram was 20-60 ms of the GUI thread), unless the
    window resized the dock."""
    from dataclasses import replace

    dock = window.tools["wiring_view"]
    assert drawn(qtbot, window, 1) == [grouped_pairs(8, 12, 4)]
    qtbot.waitExposed(dock)
    qtbot.wait(300)  # the first paints and the first run's results
    paints = _Paints(dock.view.view.viewport())
    changes = []
    dock.view.view.scene().changed.connect(lambda rects: changes.append(rects))
    doc = window.document
    controller = window.controller
    for n in (50, 20):
        with qtbot.waitSignal(controller.run_finished, timeout=5000):
            doc.replace_layer(4, replace(doc.layers[4], out_channels=n), "edit another layer")
        qtbot.waitUntil(lambda: not controller.busy)
        qtbot.wait(100)  # the results drawn, the paint pass after them
    assert controller.cost.layers[4].output_shape[0] == 20
    assert changes == []
    # the main window may give the dock another size when another panel's size hint changes
    # (a layout matter, outside the dock); short of that, nothing repaints it
    assert paints.regions == [] or paints.resizes > 0


def test_a_layer_without_a_convolution_is_wired_channel_to_channel(qtbot, make_window):
    """A pooling layer has no convolution part: the dock raised "max() arg is an empty
    sequence" (found by the monkey with the dock open on a max pool); each channel feeds
    only itself."""
    scene = Scene(
        input=InputSpec(image="sample:chelsea", size=24),
        layers=(default_spec("standard", out_channels=8), default_spec("maxpool")),
    )
    win = make_window(scene)
    win.tools["wiring_view"].show()
    assert drawn(qtbot, win, 1) == [{(c, c) for c in range(8)}]
    assert "maxpool" in win.tools["wiring_view"].view.caption.text()
