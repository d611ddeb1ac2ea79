"""The groups view: which input channels feed which output channels of the selected layer.

Each stage of the layer (:func:`explorer.core.analysis.wiring.channel_wiring`) is drawn as a
bipartite diagram: channels are dots in columns (inputs left, outputs right; a separable
layer has three columns: input, depthwise output, pointwise output) and every connection
is a line, coloured by its group. At most :data:`MAX_SHOWN` channels of a column are drawn
(the first ones), with a note saying how many there are.

Geometry: column ``k`` is at ``x = k``; channel ``i`` of a column of ``n`` drawn channels
is at ``y = (i + 0.5) / n`` (0 at the top), so lines map back to channels exactly.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import numpy.ma  # noqa: F401 - np.unique imports it on its first call: not during a paint
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from explorer.core.analysis.wiring import WiringStage, channel_wiring
from explorer.core.errors import ExplorerError
from explorer.ui.widgets.anchored_text import AnchoredText
from explorer.ui.widgets.binding import connect_while_alive
from explorer.ui.widgets.plot_utils import make_layout_widget, theme_colors

if TYPE_CHECKING:
    from explorer.ui.tools.host import ToolHost

__all__ = ["MAX_SHOWN", "WiringView", "install"]

#: Most channels drawn per column.
MAX_SHOWN = 64
#: Channel numbers are written next to the dots when a column has at most this many.
MAX_LABELS = 24
#: Lines of a stage are anti-aliased and translucent when it has at most this many; more are
#: drawn aliased and opaque: translucent or anti-aliased lines cost 5-20× as much to paint
#: (512-4,096 of them were 20-60 ms of the GUI thread per paint in monkey runs), and in a
#: dense diagram they overlap into the group's full colour anyway.
MAX_ANTIALIASED = 256
#: Largest C_in × C_out of a stage whose wiring is computed (a 4096 × 4096 boolean matrix).
MAX_PAIRS = 4096 * 4096
_GROUP_COLORS = [
    (31, 119, 180),
    (255, 127, 14),
    (44, 160, 44),
    (214, 39, 40),
    (148, 103, 189),
    (140, 86, 75),
    (227, 119, 194),
    (23, 190, 207),
]


def _y(i: np.ndarray | int, n: int) -> np.ndarray:
    return (np.asarray(i, dtype=np.float64) + 0.5) / n


def stage_caption(stage: WiringStage) -> str:
    """One line on what a stage connects, e.g. ``"depthwise, groups = 8: each output
    sees 1 of 8 inputs (8 connections of 64)"``."""
    c_in, c_out, g = stage.in_channels, stage.out_channels, stage.groups
    per = c_in // g
    if g == 1:
        how = f"all-to-all: each output sees all {c_in} inputs"
    else:
        how = f"groups = {g}: each output sees {per} of {c_in} input{'s' if c_in > 1 else ''}"
    # counted, not listed: 4096 channels all-to-all are 16.8 million pairs
    return f"{stage.name}: {how} ({c_out * per:,} connections of {c_in * c_out:,} possible)"


class WiringView(QtWidgets.QWidget):
    """Bipartite wiring diagram of the stages of one layer."""

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        # neither label may shrink or grow the dock at each redraw: the main window would
        # lay out and repaint every view again (the maps, the weights, the costs). The
        # title's width and the caption's height only grow (see set_stages).
        self.title = QtWidgets.QLabel()
        self.view = make_layout_widget()
        # one rectangle to repaint, not the exact changed areas (pyqtgraph's default): a
        # redraw changes the dots, labels and lines, and painting lines clipped to a region
        # of several rectangles is 5-20× slower in Qt's raster engine (the 40-60 ms paints
        # of this dock in monkey runs) than clipped to one rectangle
        self.view.setViewportUpdateMode(
            QtWidgets.QGraphicsView.ViewportUpdateMode.BoundingRectViewportUpdate
        )
        self.box = self.view.addViewBox(invertY=True, enableMouse=False, enableMenu=False)
        self.caption = QtWidgets.QLabel(wordWrap=True)
        self.caption.setTextInteractionFlags(QtCore.Qt.TextInteractionFlag.TextSelectableByMouse)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.title)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.caption)
        # every item is made once and reused (hidden when not needed): making and adding
        # items to the view was 20-50 ms of the GUI thread per redraw
        self._curves: list[pg.PlotCurveItem] = []  # pool of line items
        self._dots: list[pg.ScatterPlotItem] = []  # one per column
        self._heads: list[AnchoredText] = []  # one per column
        self._labels: list[AnchoredText] = []  # channel numbers, pool
        self._pens: dict[tuple, QtGui.QPen] = {}
        #: how lines are drawn (the benchmark sets the earlier drawing, translucent
        #: lines anti-aliased up to 1,500 of them, to compare)
        self.opaque_lines = True
        self.max_antialiased = MAX_ANTIALIASED
        self.line_items: list[pg.PlotCurveItem] = []  # shown: one per (stage, group colour)
        self.stages: list[WiringStage] = []
        self.shown: list[int] = []  # channels drawn per column

    def clear(self, message: str = "") -> None:
        """Draw nothing and say ``message``."""
        for pool in (self._curves, self._dots, self._heads, self._labels):
            for item in pool:
                if item.isVisible():
                    item.setVisible(False)
        self.line_items, self.stages, self.shown = [], [], []
        self.title.setText("")
        self.caption.setText(message)

    def graphics_items(self) -> list[QtWidgets.QGraphicsItem]:
        """Every item the view has made (shown or kept hidden for reuse), for tests."""
        return [*self._curves, *self._dots, *self._heads, *self._labels]

    def label_texts(self) -> list[str]:
        """The texts of the labels shown (column heads, channel numbers), for tests."""
        return [item.text() for item in (*self._heads, *self._labels) if item.isVisible()]

    def set_stages(self, stages: list[WiringStage], *, title: str = "") -> None:
        """Draw ``stages`` (each one's inputs are the previous one's outputs)."""
        self.stages = list(stages)
        counts = [stages[0].in_channels] + [s.out_channels for s in stages]
        names = ["input"] + [s.name if s.name != "conv" else "output" for s in stages]
        self.shown = [min(n, MAX_SHOWN) for n in counts]
        _, foreground = theme_colors()
        self.line_items = []
        for k, stage in enumerate(stages):
            self._draw_stage(k, stage)
        _hide_from(self._curves, len(self.line_items))
        n_labels = 0
        for k, (n, shown, name) in enumerate(zip(counts, self.shown, names, strict=True)):
            ys = _y(np.arange(shown), shown)
            dots = self._pooled(self._dots, k, pg.ScatterPlotItem)
            dots.setData(
                x=np.full(shown, float(k)),
                y=ys,
                size=9 if shown <= 32 else 5,
                brush=pg.mkBrush(foreground),
                pen=pg.mkPen(None),
            )
            more = f" (first {shown})" if shown < n else ""
            head = self._pooled(self._heads, k, AnchoredText)
            self._set_text(head, f"{name}\n{n} ch{more}", foreground, (0.5, 1.0), k, -0.01)
            if shown <= MAX_LABELS and (k in (0, len(stages)) or shown <= 12):
                anchor = (-0.3, 0.5) if k == len(stages) else (1.3, 0.5)
                for i, y in enumerate(ys):
                    label = self._pooled(self._labels, n_labels, AnchoredText)
                    self._set_text(label, str(i), foreground, anchor, k, float(y))
                    n_labels += 1
        for pool, used in ((self._dots, len(counts)), (self._heads, len(counts))):
            _hide_from(pool, used)
        _hide_from(self._labels, n_labels)
        self.box.setRange(xRange=(-0.25, len(stages) + 0.25), yRange=(-0.2, 1.03), padding=0)
        self.title.setText(title)
        width = self.title.sizeHint().width()
        if width > self.title.minimumWidth():
            self.title.setMinimumWidth(width)
        notes = [stage_caption(s) for s in stages]
        if any(s < n for s, n in zip(self.shown, counts, strict=True)):
            notes.append(f"Only the first {MAX_SHOWN} channels of a column are drawn.")
        self.caption.setText("\n".join(notes))
        # a wrapped label in a dock can be given one line's height: ask for all of them
        line = self.caption.fontMetrics().lineSpacing()
        height = line * (len(notes) + 1) + 4
        if height > self.caption.minimumHeight():
            self.caption.setMinimumHeight(height)

    def drawn_edges(self) -> list[set[tuple[int, int]]]:
        """The ``(in_channel, out_channel)`` pairs drawn for each stage, read back from the
        line items' coordinates (for tests)."""
        edges: list[set[tuple[int, int]]] = [set() for _ in self.stages]
        for item in self.line_items:
            x, y = item.getData()
            if x is None or not item.isVisible():
                continue
            for x0, y0, y1 in zip(x[0::2], y[0::2], y[1::2], strict=True):
                k = int(round(x0))
                n_in, n_out = self.shown[k], self.shown[k + 1]
                edges[k].add((int(round(y0 * n_in - 0.5)), int(round(y1 * n_out - 0.5))))
        return edges

    def _pooled(self, pool: list, index: int, make: type) -> QtWidgets.QGraphicsItem:
        """Item ``index`` of ``pool`` (made and added to the view the first time), shown."""
        if index == len(pool):
            item = make()
            self.box.addItem(item, ignoreBounds=True)
            pool.append(item)
        item = pool[index]
        if not item.isVisible():
            item.setVisible(True)
        return item

    @staticmethod
    def _set_text(
        item: AnchoredText, text: str, color: object, anchor: tuple, x: float, y: float
    ) -> None:
        if item.text() != text:
            item.setText(text)
        item.set_color(color)
        item.set_anchor(anchor)
        if item.pos() != QtCore.QPointF(x, y):
            item.setPos(x, y)

    def _pen(self, rgba: tuple[int, int, int, int]) -> QtGui.QPen:
        pen = self._pens.get(rgba)
        if pen is None:
            pen = self._pens[rgba] = pg.mkPen(QtGui.QColor(*rgba), width=1)
        return pen

    def _draw_stage(self, k: int, stage: WiringStage) -> None:
        n_in, n_out = self.shown[k], self.shown[k + 1]
        conn = stage.connectivity[:n_out, :n_in]
        per_group = max(stage.out_channels // stage.groups, 1)
        outs, ins = np.nonzero(conn)
        # one line item per colour, not per group: a depthwise layer of 64 channels is 64
        # groups, and each item drawn costs the GUI thread
        color = (outs // per_group) % len(_GROUP_COLORS) if stage.groups > 1 else outs * 0
        few = len(outs) <= self.max_antialiased
        if few:  # anti-aliased, translucent: crossings show
            alpha = 150
        elif self.opaque_lines:  # aliased and opaque: the cheapest lines Qt draws
            alpha = 255
        else:  # the earlier drawing (for the benchmark)
            alpha = 60 if len(outs) > 1500 else 150
        for g in np.unique(color):
            sel = color == g
            x = np.repeat([[float(k), k + 1.0]], sel.sum(), axis=0).ravel()
            y = np.column_stack([_y(ins[sel], n_in), _y(outs[sel], n_out)]).ravel()
            r, gr, b = _GROUP_COLORS[int(g)] if stage.groups > 1 else (90, 120, 170)
            # thousands of anti-aliased translucent lines take seconds to paint; a pen wider
            # than 1 px leaves pyqtgraph's line-segment fast path: 1,444 lines 1.9 s → 3 ms
            item = self._pooled(self._curves, len(self.line_items), pg.PlotCurveItem)
            item.setData(x, y, connect="pairs", antialias=few, pen=self._pen((r, gr, b, alpha)))
            self.line_items.append(item)


def _hide_from(pool: list, used: int) -> None:
    """Hide the items of ``pool`` from ``used`` on (kept for the next drawing)."""
    for item in pool[used:]:
        if item.isVisible():
            item.setVisible(False)


class WiringDock(QtWidgets.QDockWidget):
    """The "Wiring" dock: follows the selected layer of the window of ``host``."""

    def __init__(self, host: ToolHost) -> None:
        super().__init__("Wiring", host.widget)
        self.setObjectName("WiringDock")
        self._host = host
        self.view = WiringView()
        self.setWidget(self.view)
        self._timer = QtCore.QTimer(self, singleShot=True, interval=0)
        self._timer.timeout.connect(self.refresh)
        self._drawn: tuple | None = None  # (index, spec, in_channels) drawn; the spec by identity
        self._diagram: tuple[str, list] | None = None  # (title, the view's stages) drawn
        doc = host.document
        connect_while_alive(doc.selection_changed, lambda _: self._schedule(), self)
        connect_while_alive(doc.changed, lambda _: self._schedule(), self)
        host.run.costs_changed.connect(lambda *_: self._schedule())
        self.visibilityChanged.connect(lambda visible: visible and self._schedule())

    def _schedule(self) -> None:
        if self.isVisible():
            self._timer.start()

    def refresh(self) -> None:
        """Redraw for the selected layer now."""
        self._timer.stop()
        host = self._host
        index = host.selection
        layers = host.document.layers
        if not 0 <= index < len(layers):
            self._drawn = None
            return self.view.clear(
                "Select a layer to see which input channels feed which output channels."
            )
        cost = host.run.cost
        if cost is None or index >= len(cost.layers):
            self._drawn = None
            return self.view.clear(f"Layer {index + 1} has an error: fix it to see its wiring.")
        spec = layers[index]
        drawn = (index, spec, cost.layers[index].input_shape[0])
        old = self._drawn
        if old is not None and old[0] == index and old[1] is spec and old[2] == drawn[2]:
            # the same layer with the same input: costs and results of an edit elsewhere
            # in the stack come here too, and redrawing the diagram takes 50-250 ms
            return None
        self._drawn = None
        c_in = cost.layers[index].input_shape[0]
        # a pool or an activation has no convolution part: each channel feeds only itself
        pairs = max(
            (p.input_shape[0] * p.output_shape[0] for p in cost.layers[index].parts),
            default=c_in * c_in,
        )
        if pairs > MAX_PAIRS:  # the C_out×C_in matrix alone would be too big to build here
            return self.view.clear(
                f"Layer {index + 1}: {pairs:,} input-output channel pairs, "
                f"too many to draw (at most {MAX_PAIRS:,})."
            )
        try:
            stages = channel_wiring(spec, cost.layers[index].input_shape[0])
        except ExplorerError as err:
            return self.view.clear(f"Layer {index + 1}: {err}")
        kind = " → ".join(stage.name for stage in stages) if len(stages) > 1 else spec.kind
        title = (
            f"<b>Layer {index + 1} · {kind}</b> — which input channels feed which output channels"
        )
        if self._same_diagram(title, stages):
            # an edit that leaves the wiring as it is (bias, kernel size, stride, padding,
            # activation…): the diagram on screen is already right
            self._drawn = drawn
            return None
        self.view.set_stages(stages, title=title)
        self._drawn = drawn
        self._diagram = (title, self.view.stages)
        return None

    def _same_diagram(self, title: str, stages: list) -> bool:
        """Whether the diagram on screen shows ``stages`` under ``title``."""
        diagram = self._diagram
        if diagram is None or self.view.stages is not diagram[1] or diagram[0] != title:
            return False  # never drawn, or cleared since (an error, another message)
        old = diagram[1]
        return len(old) == len(stages) and all(
            a.name == b.name
            and a.groups == b.groups
            and np.array_equal(a.connectivity, b.connectivity)  # shapes too
            for a, b in zip(old, stages, strict=True)
        )


def install(host: ToolHost) -> WiringDock:
    """Add the Wiring dock (hidden; View ▸ Panels ▸ Wiring)."""
    dock = WiringDock(host)
    toggle = host.add_dock(dock, QtCore.Qt.DockWidgetArea.RightDockWidgetArea)
    toggle.setStatusTip("Show which input channels feed which output channels")
    return dock
