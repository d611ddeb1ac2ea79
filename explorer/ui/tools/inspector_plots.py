"""Widgets of the pixel inspector: bar charts of vectors and the input with a receptive field.

Conventions: a :class:`BarChart` draws value ``i`` as the bar at ``x = i`` (channel ``i``);
:class:`InputView` draws the input image with row 0 at the top and outlines a
:class:`~explorer.core.analysis.inspect.ReceptiveBox` in pixel units (the rectangle's ``x`` is the
column, ``y`` the row).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from explorer.core.analysis.inspect import (
    PointwiseBreakdown,
    ReceptiveBox,
    WindowBreakdown,
    format_value,
)
from explorer.ui.views.weight_panels import MatrixPanel
from explorer.ui.widgets.colormaps import symmetric_levels
from explorer.ui.widgets.plot_utils import index_ticks, make_layout_widget, style_plot, theme_colors

__all__ = [
    "PAGE_PARTS",
    "BarChart",
    "InputView",
    "PointwisePage",
    "WindowPage",
    "display_image",
]

_POSITIVE = QtGui.QColor(70, 130, 180)
_NEGATIVE = QtGui.QColor(200, 90, 70)
_HIGHLIGHT = QtGui.QColor(255, 140, 0)
#: Values are written on the bars when there are at most this many.
MAX_BAR_LABELS = 12


class BarChart(QtWidgets.QWidget):
    """One vector as bars (one per channel), with its numbers when there are few.

    Parameters
    ----------
    title
        Heading of the chart.
    x_label
        Label of the channel axis.
    """

    def __init__(
        self, title: str = "", x_label: str = "channel", parent: QtWidgets.QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.view = make_layout_widget()
        # no context menu (style_plot turns it off anyway): pyqtgraph then does not build the
        # view box's menu only to tear it down (≈ a fifth of the chart's first build)
        self.plot: pg.PlotItem = self.view.addPlot(enableMenu=False)
        style_plot(self.plot, font_px=11)
        self.plot.setMouseEnabled(x=False, y=False)
        self.plot.showGrid(y=True, alpha=0.25)
        self.plot.addLine(y=0, pen=pg.mkPen(theme_colors()[1], width=1))
        self.bars = pg.BarGraphItem(x=[], height=[], width=0.75)
        self.plot.addItem(self.bars)
        self._labels: list[pg.TextItem] = []
        self._values = np.zeros(0)
        self.set_title(title)
        self.plot.setLabel("bottom", x_label)
        # the graphics lay out their new title later than set_title: ask again then
        self._least = QtCore.QSize()
        self.plot.vb.sigResized.connect(self._recheck_least)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.view)

    def set_title(self, title: str) -> None:
        """Heading of the chart (plain text)."""
        self.plot.setTitle(title, size="10pt", color=theme_colors()[1])
        self.updateGeometry()

    def _recheck_least(self, *_: object) -> None:
        least = self.minimumSizeHint()
        if least != self._least:
            self._least = least
            self.updateGeometry()

    def minimumSizeHint(self) -> QtCore.QSize:  # noqa: N802 - Qt override
        """What the graphics need (title, axes): a narrower view would clip them."""
        least = self.view.ci.effectiveSizeHint(QtCore.Qt.SizeHint.MinimumSize)
        return (
            super()
            .minimumSizeHint()
            .expandedTo(QtCore.QSize(int(least.width()) + 1, int(least.height()) + 1))
        )

    def set_values(
        self, values: np.ndarray, *, highlight: int | None = None, first: int = 0
    ) -> None:
        """Show ``values`` (1-D), bar ``highlight`` in orange; ``first`` numbers the first bar."""
        values = np.asarray(values, dtype=np.float64).ravel()
        self._values = values
        n = len(values)
        brushes = [
            pg.mkBrush(_HIGHLIGHT if i == highlight else _POSITIVE if v >= 0 else _NEGATIVE)
            for i, v in enumerate(values)
        ]
        self.bars.setOpts(
            x=np.arange(n), height=values, width=0.75, brushes=brushes, pens=[pg.mkPen(None)] * n
        )
        self.plot.getAxis("bottom").setTicks(
            [index_ticks(n, max_labels=16, offset=0.0, first=first), []]
        )
        finite = values[np.isfinite(values)]
        lo = min(float(finite.min()), 0.0) if finite.size else 0.0
        hi = max(float(finite.max()), 0.0) if finite.size else 1.0
        span = (hi - lo) or 1.0
        self.plot.setRange(
            xRange=(-0.6, max(n, 1) - 0.4),
            yRange=(lo - 0.18 * span * (lo < 0), hi + 0.18 * span),
            padding=0,
        )
        self._write_labels(values, span)

    def _write_labels(self, values: np.ndarray, span: float) -> None:
        show = len(values) <= MAX_BAR_LABELS
        count = len(values) if show else 0
        _, foreground = theme_colors()
        while len(self._labels) < count:
            label = pg.TextItem(color=foreground)
            font = QtGui.QFont()
            font.setPixelSize(11)
            label.setFont(font)
            self.plot.addItem(label, ignoreBounds=True)
            self._labels.append(label)
        for i, label in enumerate(self._labels):
            label.setVisible(i < count)
            if i < count:
                v = float(values[i])
                label.setText(format_value(v, 2))
                label.setAnchor((0.5, 1.0) if v >= 0 else (0.5, 0.0))
                label.setPos(i, v + (0.02 if v >= 0 else -0.02) * span)

    def heights(self) -> np.ndarray:
        """The bar heights drawn now (for tests)."""
        height = self.bars.opts.get("height")
        return np.asarray([] if height is None else height, dtype=np.float64)

    def label_texts(self) -> list[str]:
        """The numbers written on the bars (for tests)."""
        return [t.toPlainText() for t in self._labels if t.isVisible()]


def display_image(image: np.ndarray) -> np.ndarray:
    """A ``(C, H, W)`` input as something to draw: RGB ``(H, W, 3)`` for 3 channels, else
    the mean over channels ``(H, W)``; scaled to 0..1 by its own min and max."""
    image = np.asarray(image, dtype=np.float32)
    shown = np.moveaxis(image, 0, -1) if image.shape[0] == 3 else image.mean(axis=0)
    lo, hi = float(np.nanmin(shown)), float(np.nanmax(shown))
    return np.clip((shown - lo) / ((hi - lo) or 1.0), 0.0, 1.0)


class InputView(QtWidgets.QWidget):
    """The stack's input image with the receptive field of one output pixel outlined."""

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.view = make_layout_widget()
        self.box = self.view.addViewBox(
            lockAspect=True, invertY=True, enableMouse=False, enableMenu=False
        )
        self.image_item = pg.ImageItem(axisOrder="row-major")
        self.box.addItem(self.image_item)
        self.rect_item = QtWidgets.QGraphicsRectItem()
        pen = QtGui.QPen(QtGui.QColor(255, 40, 40), 2)
        pen.setCosmetic(True)
        self.rect_item.setPen(pen)
        self.rect_item.setBrush(QtGui.QBrush(QtGui.QColor(255, 40, 40, 50)))
        self.rect_item.setZValue(10)
        self.box.addItem(self.rect_item)
        # a ring around a box too small to see at this zoom
        self.marker = pg.ScatterPlotItem(
            size=16,
            symbol="o",
            brush=pg.mkBrush(None),
            pen=pg.mkPen(QtGui.QColor(255, 40, 40), width=2),
        )
        self.marker.setZValue(11)
        self.box.addItem(self.marker)
        self.caption = QtWidgets.QLabel(wordWrap=True)
        self.caption.setAlignment(QtCore.Qt.AlignmentFlag.AlignHCenter)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.caption)
        self._shape: tuple[int, int] = (0, 0)
        self._source: np.ndarray | None = None

    def set_image(self, image: np.ndarray | None) -> None:
        """Show the ``(C, H, W)`` input (``None``: nothing). The same array again (the run's
        input is one read-only array until it changes) is not converted again."""
        if image is not None and image is self._source:
            return
        self._source = image
        if image is None:
            self.image_item.clear()
            self._shape = (0, 0)
            return
        shown = display_image(image)
        self._shape = (int(shown.shape[0]), int(shown.shape[1]))
        self.image_item.setImage(shown, autoLevels=False, levels=(0.0, 1.0))
        self.box.setRange(xRange=(0, self._shape[1]), yRange=(0, self._shape[0]), padding=0.02)

    def set_box(self, box: ReceptiveBox | None) -> None:
        """Outline ``box`` (input pixels; the part outside the image is cut off)."""
        self.marker.setData([], [])
        if box is None or self._shape == (0, 0):
            self.rect_item.setVisible(False)
            self.caption.setText("")
            return
        inside = box.clipped(*self._shape)
        self.rect_item.setRect(QtCore.QRectF(inside.left, inside.top, inside.width, inside.height))
        self.rect_item.setVisible(inside.width > 0 and inside.height > 0)
        if self.rect_item.isVisible() and max(inside.width, inside.height) * 20 < max(self._shape):
            self.marker.setData([inside.left + inside.width / 2], [inside.top + inside.height / 2])
        where = (
            f"rows {box.top}–{box.bottom - 1}, cols {box.left}–{box.right - 1}"
            if box.height > 1 or box.width > 1
            else f"row {box.top}, col {box.left}"
        )
        padded = " (reaches into the padding)" if inside != box else ""
        self.caption.setText(
            f"Receptive field: {box.height}×{box.width} input pixels, {where}{padded}"
        )

    def box_rect(self) -> tuple[int, int, int, int] | None:
        """``(top, left, height, width)`` of the outline drawn now, or ``None``."""
        if not self.rect_item.isVisible():
            return None
        r = self.rect_item.rect()
        return (round(r.top()), round(r.left()), round(r.height()), round(r.width()))


def _highlight_rect(plot: pg.PlotItem) -> QtWidgets.QGraphicsRectItem:
    rect = QtWidgets.QGraphicsRectItem()
    pen = QtGui.QPen(_HIGHLIGHT, 3)
    pen.setCosmetic(True)
    rect.setPen(pen)
    rect.setZValue(20)
    plot.addItem(rect, ignoreBounds=True)
    return rect


#: A plot of a page made ahead, one per event-loop turn (see :data:`PAGE_PARTS`).
Parts = dict[str, QtWidgets.QWidget]


def _matrix() -> MatrixPanel:
    return MatrixPanel(show_colorbar=False)


#: How each page's plots are made (tens of ms each): the Inspector makes them one per
#: event-loop turn before the page is needed and passes them to the page as ``parts``.
PAGE_PARTS: dict[str, tuple[tuple[str, Callable[[], QtWidgets.QWidget]], ...]] = {
    "pointwise": (
        ("x_bars", lambda: BarChart("input X[h,w,:]", "input channel c'")),
        ("matrix", _matrix),
        ("products", lambda: BarChart("products X·K", "input channel c'")),
        ("y_bars", lambda: BarChart("output Y[h,w,:]", "output channel c")),
    ),
    "window": (
        ("window", _matrix),
        ("kernel", _matrix),
        ("products", _matrix),
        ("sums", lambda: BarChart("Σ products per input channel", "input channel c'")),
    ),
}


def _parts(page: str, parts: Parts | None) -> Parts:
    """``parts`` completed with the plots of ``page`` still missing."""
    made = dict(parts or {})
    for name, make in PAGE_PARTS[page]:
        if name not in made:
            made[name] = make()
    return made


class PointwisePage(QtWidgets.QWidget):
    """X[h,w,:] → K → products for one output channel → Y[h,w,:], side by side.

    ``parts``: plots made ahead (:data:`PAGE_PARTS`); the missing ones are made here.
    """

    def __init__(self, parent: QtWidgets.QWidget | None = None, parts: Parts | None = None) -> None:
        super().__init__(parent)
        made = _parts("pointwise", parts)
        self.x_bars: BarChart = made["x_bars"]
        self.matrix: MatrixPanel = made["matrix"]
        self.products: BarChart = made["products"]
        self.y_bars: BarChart = made["y_bars"]
        self.row_rect = _highlight_rect(self.matrix.plot)
        layout = QtWidgets.QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        for widget, stretch in (
            (self.x_bars, 2),
            (self.matrix, 3),
            (self.products, 2),
            (self.y_bars, 2),
        ):
            layout.addWidget(widget, stretch)

    def show_breakdown(self, bd: PointwiseBreakdown, outputs: np.ndarray, where: str) -> None:
        """Show ``bd``; ``outputs`` are all output channels after BN/activation; ``where``
        names the input pixel, e.g. ``"12,40"``."""
        c = bd.out_channel
        self.x_bars.set_title(f"input X[{where},c']<br>({len(bd.x)} channels)")
        self.x_bars.set_values(bd.x)
        c_out, c_in = bd.matrix.shape
        self.matrix.set_data(
            bd.matrix.astype(np.float32),
            symmetric_levels(bd.matrix),
            title=f"weights: row {c} = K[:, {c}]<br>({c_out}×{c_in})",
            x_label="input channel c'",
            y_label="output channel c",
            x_ticks=index_ticks(c_in),
            y_ticks=index_ticks(c_out),
            describe=lambda r, k: f"K[{k},{r}] = {bd.matrix[r, k]:.4g}",
            square=False,
            numbers=max(c_out, c_in) <= 8,
        )
        self.row_rect.setRect(QtCore.QRectF(0, c, c_in, 1))
        self.products.set_title(
            f"X[{where},c']·K[c',{c}]<br>(sum {format_value(bd.products.sum())})"
        )
        self.products.set_values(bd.products)
        self.y_bars.set_title(f"output Y[h,w,:]<br>(channel {c} = {format_value(outputs[c])})")
        self.y_bars.set_values(outputs, highlight=c)


class WindowPage(QtWidgets.QWidget):
    """The k×k input window of one input channel, the kernel, their products, and the sum
    of the products of every input channel of the group.

    ``parts``: plots made ahead (:data:`PAGE_PARTS`); the missing ones are made here.
    """

    def __init__(self, parent: QtWidgets.QWidget | None = None, parts: Parts | None = None) -> None:
        super().__init__(parent)
        self.channel = QtWidgets.QSpinBox(prefix="input channel c' = ")
        self.channel.setToolTip("Which input channel of the output's group to show")
        self.channel.valueChanged.connect(lambda _: self._show_channel())
        made = _parts("window", parts)
        self.window: MatrixPanel = made["window"]
        self.kernel: MatrixPanel = made["kernel"]
        self.products: MatrixPanel = made["products"]
        self.sums: BarChart = made["sums"]
        grids = QtWidgets.QHBoxLayout()
        for widget in (self.window, self.kernel, self.products, self.sums):
            grids.addWidget(widget, 1)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.channel, 0, QtCore.Qt.AlignmentFlag.AlignLeft)
        layout.addLayout(grids, 1)
        self._bd: WindowBreakdown | None = None

    def show_breakdown(self, bd: WindowBreakdown) -> None:
        """Show ``bd``, keeping the chosen input channel when it is still in the group."""
        self._bd = bd
        channels = [int(c) for c in bd.in_channels]
        keep = self.channel.value()
        with QtCore.QSignalBlocker(self.channel):
            self.channel.setRange(channels[0], channels[-1])
            self.channel.setValue(keep if keep in channels else channels[0])
        self.channel.setVisible(len(channels) > 1)
        sums = bd.products.reshape(len(channels), -1).sum(axis=1)
        self.sums.set_values(sums, first=channels[0])
        self.sums.set_title(f"Σ per input channel<br>(total {format_value(sums.sum())})")
        self.sums.setVisible(len(channels) > 1)
        self._show_channel()

    def shown_channel(self) -> int:
        """Index into the group of the channel shown (0 for the first of the group)."""
        return 0 if self._bd is None else self.channel.value() - int(self._bd.in_channels[0])

    def _show_channel(self) -> None:
        bd = self._bd
        if bd is None:
            return
        i = self.shown_channel()
        c, ch = bd.out_channel, int(bd.in_channels[i])
        row_ticks = [(k + 0.5, str(int(r))) for k, r in enumerate(bd.rows)]
        col_ticks = [(k + 0.5, str(int(r))) for k, r in enumerate(bd.cols)]
        tap_rows = index_ticks(bd.kernel.shape[1])
        tap_cols = index_ticks(bd.kernel.shape[2])
        common = {"describe": lambda r, k: None, "square": True}
        self.window.set_data(
            bd.window[i].astype(np.float32),
            symmetric_levels(bd.window[i]),
            title=f"input window X[·,·,{ch}]",
            x_label="input col",
            y_label="input row",
            x_ticks=col_ticks,
            y_ticks=row_ticks,
            **common,
        )
        self.kernel.set_data(
            bd.kernel[i].astype(np.float32),
            symmetric_levels(bd.kernel[i]),
            title=f"kernel K[·,·,{ch},{c}]",
            x_label="tap j",
            y_label="tap i",
            x_ticks=tap_cols,
            y_ticks=tap_rows,
            **common,
        )
        self.products.set_data(
            bd.products[i].astype(np.float32),
            symmetric_levels(bd.products[i]),
            title=f"products (sum {format_value(bd.products[i].sum())})",
            x_label="tap j",
            y_label="tap i",
            x_ticks=tap_cols,
            y_ticks=tap_rows,
            **common,
        )
