"""Building blocks of the weight view: kernel mosaics and one heat-map panel.

Mosaic convention: kernel ``i`` of an ``(n, kh, kw)`` stack goes to grid cell
``(i // cols, i % cols)``; cells are separated by a ``gap`` of NaN pixels (drawn
transparent), so the mosaic is ``rows·(kh+gap) − gap`` by ``cols·(kw+gap) − gap``.
Row 0 of a kernel is drawn at the top, as torch's cross-correlation reads it.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from explorer.ui.views.cell_numbers import CellNumbers
from explorer.ui.views.compact_axis import QuickAxis, speed_up
from explorer.ui.views.map_image import MapImageItem
from explorer.ui.widgets.colormaps import DEFAULT_WEIGHT_COLORMAP, colormap, lookup_table
from explorer.ui.widgets.plot_utils import (
    image_pixel_at,
    image_pixel_scene_pos,
    make_layout_widget,
    style_plot,
    theme_colors,
)

__all__ = ["MAX_TEXT_SIDE", "MatrixPanel", "kernel_mosaic", "mosaic_cell", "same_values"]

#: Numbers are written in the cells when the image is at most this many cells each way.
MAX_TEXT_SIDE = 16
_COLORBAR_PX = 58
_MIN_PLOT_PX = 48
#: a panel asks for at most this plot height (a kernel grid of 16×16 3×3 kernels at
#: its legible size); the weight view scrolls where the screen is lower
_MAX_PLOT_PX = 640


def kernel_mosaic(kernels: np.ndarray, cols: int, gap: int = 1) -> np.ndarray:
    """Lay out ``(n, kh, kw)`` kernels in a grid with ``cols`` columns and NaN gaps.

    Returns
    -------
    np.ndarray
        2-D float32 mosaic; unused cells of the last row are NaN.
    """
    n, kh, kw = kernels.shape
    cols = max(1, min(cols, n))
    rows = math.ceil(n / cols)
    cells = np.full((rows * cols, kh + gap, kw + gap), np.nan, np.float32)
    cells[:n, :kh, :kw] = kernels
    grid = cells.reshape(rows, cols, kh + gap, kw + gap).transpose(0, 2, 1, 3)
    mosaic = grid.reshape(rows * (kh + gap), cols * (kw + gap))
    return np.ascontiguousarray(mosaic[: mosaic.shape[0] - gap, : mosaic.shape[1] - gap])


def mosaic_cell(
    row: int, col: int, kernel_shape: tuple[int, int], gap: int
) -> tuple[int, int, int, int] | None:
    """``(cell_row, cell_col, kernel_row, kernel_col)`` of a mosaic pixel; ``None`` in a gap."""
    kh, kw = kernel_shape
    cell_r, r = divmod(row, kh + gap)
    cell_c, c = divmod(col, kw + gap)
    if r >= kh or c >= kw:
        return None
    return cell_r, cell_c, r, c


class _ChannelAxis(QuickAxis):
    """An axis that keeps its drawing when its range is set to the range it has: pyqtgraph
    regenerates every tick and label on each ``setRange``, and a view whose other axis
    changed (a 1×1 layer's new row count) sets the unchanged one again."""

    def setRange(self, mn: float, mx: float) -> None:  # noqa: N802 - pyqtgraph's name
        if [mn, mx] != list(getattr(self, "range", ())):  # (none yet while built)
            super().setRange(mn, mx)


class MatrixPanel(QtWidgets.QWidget):
    """A heat map of a 2-D array in a plot with integer ticks, a colour bar, and the
    numbers written in the cells when there are few.

    Signals
    -------
    hovered(text)
        The mouse is over a cell: ``describe(row, col)`` of that cell.
    """

    hovered = QtCore.Signal(str)

    def __init__(
        self, parent: QtWidgets.QWidget | None = None, *, show_colorbar: bool = True
    ) -> None:
        super().__init__(parent)
        self.view = make_layout_widget()
        # enableMenu=False: the view box menu style_plot turns off is then never built
        self.plot: pg.PlotItem = self.view.addPlot(
            row=0,
            col=0,
            axisItems={n: _ChannelAxis(n) for n in ("left", "bottom")},
            enableMenu=False,
        )
        style_plot(self.plot)
        self.plot.invertY(True)
        self.plot.setMouseEnabled(x=False, y=False)
        for name in ("left", "bottom", "top", "right"):
            # channel axes have no unit: the SI prefix never applies, but pyqtgraph
            # re-writes each label's HTML on every range change to find that out
            self.plot.getAxis(name).enableAutoSIPrefix(False)
        # 32-bit pixels: pyqtgraph's 8-bit indexed image made Qt convert it in every draw
        # (≈ 0.35 ms for a 16×9 matrix filling the panel, against ≈ 0.06 ms)
        self.image_item = MapImageItem()
        self.plot.addItem(self.image_item)
        self.show_colorbar = show_colorbar
        # a bias strip writes its numbers and needs no bar of its own (nor the ≈ 15 ms a
        # ColorBarItem takes to build)
        self.colorbar: pg.ColorBarItem | None = None
        self._bar_state: tuple[str, tuple[float, float]] | None = None
        if show_colorbar:
            self.colorbar = pg.ColorBarItem(
                values=(-1.0, 1.0), width=12, interactive=False, colorMapMenu=False
            )
            style_plot(self.colorbar, font_px=10)
            # its axis shows no label, so no SI prefix either; but with the prefix on,
            # every new range (the levels of each new result) re-wrote the label's HTML
            # and re-sized the axis
            self.colorbar.axis.enableAutoSIPrefix(False)
            speed_up(self.colorbar.axis)  # new levels on every edit: drawn the quick way
            self.colorbar.setFixedWidth(_COLORBAR_PX)
            self.view.addItem(self.colorbar, row=0, col=1)
        self.view.ci.layout.setColumnStretchFactor(0, 1)
        self.levels: tuple[float, float] = (-1.0, 1.0)
        self.describe: Callable[[int, int], str | None] = lambda r, c: None
        # every number is drawn by this one item, only while the cells are big enough
        self.numbers = CellNumbers()
        self.plot.addItem(self.numbers, ignoreBounds=True)
        self._written = 0  # how many numbers the current data has
        self._square, self._rows = True, 0  # aspect locked; rows of the current data
        self._cols = 0
        self.least_cell_px = 0.0  # a kernel grid's smallest legible weight (screen px)
        self._title_text = ""
        self._y_labels: list[str] = []
        self._ticks: tuple[list, list] = ([], [])
        self._ticks_shown: dict[str, list] = {}  # axis name -> the ticks it labels now
        self._labels: tuple[str, ...] = ()  # title, its colour, x and y axis labels
        self._drawn: tuple | None = None  # set_data's last data and arguments
        self._axis_text: dict[str, str] = {}  # axis name -> the label it shows now
        self.plot.vb.sigResized.connect(self._thin_ticks)
        self._least = QtCore.QSize()  # the minimum last reported to the layout
        self._framed: tuple | None = None  # the shape framed and the range set (_frame)
        self.plot.vb.sigResized.connect(self._recheck_least)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.view)
        self.view.scene().sigMouseMoved.connect(self._on_move)

    def set_data(
        self,
        data: np.ndarray,
        levels: tuple[float, float],
        *,
        title: str,
        x_label: str,
        y_label: str,
        x_ticks: list[tuple[float, str]],
        y_ticks: list[tuple[float, str]],
        describe: Callable[[int, int], str | None],
        square: bool = True,
        numbers: bool | None = None,
        colormap_name: str = DEFAULT_WEIGHT_COLORMAP,
        least_cell_px: float = 0.0,
    ) -> None:
        """Show ``data`` (2-D; NaN = gap) with colour ``levels`` and labelled axes.

        ``describe(row, col)`` turns a pixel into the hover text (``None`` for a gap).
        ``square`` locks the aspect (kernels); a matrix may fill the panel instead.
        ``numbers`` writes each value in its cell; by default when the image is at most
        :data:`MAX_TEXT_SIDE` cells each way. ``least_cell_px``: the panel asks for at
        least this many screen pixels per cell (kernels that stay legible), up to
        :data:`_MAX_PLOT_PX`.
        """
        self.describe = describe
        drawn = (
            (float(levels[0]), float(levels[1])),
            (title, theme_colors()[1], x_label, y_label),
            list(x_ticks),
            list(y_ticks),
            square,
            numbers,
            colormap_name,
            float(least_cell_px),
        )
        if self._drawn is not None and _same(self._drawn, drawn, data):
            return  # what the panel shows (a part of a layer whose other part was edited)
        self._drawn = (data, drawn)
        self.least_cell_px = float(least_cell_px)
        self.levels = levels
        self.image_item.setImage(
            data, autoLevels=False, levels=levels, lut=lookup_table(colormap_name)
        )
        bar_state = (colormap_name, (float(levels[0]), float(levels[1])))
        if self.colorbar is not None and self._bar_state != bar_state:
            # each call re-renders the bar and its axis: only on a change
            if self._bar_state is None or self._bar_state[0] != colormap_name:
                self.colorbar.setColorMap(colormap(colormap_name))
            self.colorbar.setLevels(bar_state[1])
            self._bar_state = bar_state
        self.plot.setAspectLocked(square)
        self._square, self._rows, self._cols = square, int(data.shape[0]), int(data.shape[1])
        # titles and axis labels re-lay-out the plot when set: only on a change (most
        # updates of a layer keep them)
        labels = (title, theme_colors()[1], x_label, y_label)
        if labels[:2] != self._labels[:2]:  # the title follows the shape: often new
            self.plot.setTitle(title, size="10pt", color=labels[1])
        if labels[2:] != self._labels[2:]:
            self.plot.setLabel("bottom", x_label)
            self.plot.setLabel("left", y_label)
            self._axis_text = {}
        self._labels = labels
        self._title_text = title
        self._y_labels = [label for _, label in y_ticks]
        self._size_left_axis()
        self._ticks = (list(x_ticks), list(y_ticks))
        h, w = data.shape
        self._frame(h, w)
        if numbers is None:
            numbers = max(h, w) <= MAX_TEXT_SIDE
        self._write_numbers(data, levels, numbers)
        self._thin_ticks()
        # tell the layout only when the minimum changed: each updateGeometry() re-lays-out
        # the weight view, its scroll area, dock and the main window after the paint
        self._recheck_least()

    def _frame(self, h: int, w: int) -> None:
        """Frame an ``h × w`` image: the view's range is set only when it is not already
        the one set for that shape (a new result of the same layer keeps it; each
        ``setRange`` re-ranged the axes and re-laid-out the panel, about 0.5 ms). A range
        the user zoomed or panned to is not the one set, so new data re-frames it as before."""
        vb = self.plot.vb
        if self._framed is not None and self._framed == ((h, w, self._square), vb.targetRange()):
            return
        self.plot.setRange(xRange=(0, w), yRange=(0, h), padding=0.01)
        self._framed = ((h, w, self._square), vb.targetRange())

    def data_shape(self) -> tuple[int, int]:
        """``(rows, columns)`` of the image shown."""
        return self._rows, self._cols

    def settle(self) -> None:
        """Apply the new view range now (and any pending re-range), not in the next paint:
        pyqtgraph moves the items inside its paint, and Qt then paints the panel again."""
        self.view.scene().prepareForPaint()

    def _size_left_axis(self) -> None:
        """Make room for the widest row label now, as the axis would in its paint (where
        a wider label re-lays-out the plot and paints it a second time), and never less
        than two digits: an edit between 9 and 10 rows (or 10 and 11: labels 0–9 → 0–10)
        then keeps the axis's width, and the panel is laid out and painted once. (Flushing
        the plot's layout request instead made presentation mode drop full screen.)"""
        axis = self.plot.getAxis("left")
        font = axis.style["tickFont"] or QtGui.QFont()
        fm = QtGui.QFontMetricsF(font)
        box, centre = QtCore.QRectF(0, 0, 100, 100), QtCore.Qt.AlignmentFlag.AlignCenter
        labels = [*self._y_labels, "00"] if self._y_labels else []
        widest = max((fm.boundingRect(box, centre, t).width() for t in labels), default=0)
        width = math.ceil(widest) + 1
        if axis.style["autoExpandTextSpace"] or axis.style["tickTextWidth"] != width:
            axis.setStyle(autoExpandTextSpace=False, tickTextWidth=width)

    def _units_per_pixel(self) -> tuple[float, float]:
        """Data units per screen pixel ``(x, y)``, from the view's range and size: what
        ``ViewBox.viewPixelSize`` gives, without mapping points through the view (that
        took ≈ 0.1 ms per call, twice per edit) and already for a range just set."""
        vb = self.plot.vb
        rect, w, h = vb.viewRect(), vb.width(), vb.height()
        return (rect.width() / w if w > 0 else 0.0, rect.height() / h if h > 0 else 0.0)

    def _thin_ticks(self, *_: object) -> None:
        """Label every 1st, 2nd, 4th, 5th … tick, as many as fit without overlapping."""
        width, height = self._units_per_pixel()
        font = QtGui.QFont()
        font.setPixelSize(12)
        fm = QtGui.QFontMetrics(font)
        for name, ticks, unit in (
            ("bottom", self._ticks[0], width),
            ("left", self._ticks[1], height),
        ):
            every = 1
            if len(ticks) > 1 and unit > 0:
                gap_px = (ticks[1][0] - ticks[0][0]) / unit
                need = (
                    max(fm.horizontalAdvance(t) for _, t in ticks) + 8
                    if name == "bottom"
                    else fm.height() + 1
                )
                for every in (1, 2, 4, 5, 8, 10, 16, 20, 32, 50, 64, 100, 128, 256):
                    if every * gap_px >= need:
                        break
            shown = ticks[::every]
            if self._ticks_shown.get(name) != shown:  # each call redraws the axis
                self.plot.getAxis(name).setTicks([shown, []])
                self._ticks_shown[name] = shown
        self._fit_axis_labels()

    def _fit_axis_labels(self) -> None:
        """An axis label longer than its axis becomes its last word ("output channel c"
        → "c"), or nothing: never a cut label."""
        if len(self._labels) < 4:
            return
        for name, full in (("bottom", self._labels[2]), ("left", self._labels[3])):
            axis = self.plot.getAxis(name)
            length = axis.geometry().height() if name == "left" else axis.geometry().width()
            if length <= 0 or not full:
                continue
            fm = QtGui.QFontMetrics(axis.label.font())
            text = next(
                (t for t in (full, full.split()[-1]) if fm.horizontalAdvance(t) + 8 <= length), ""
            )
            if self._axis_text.get(name, full) != text:  # each change re-lays-out the plot
                self._axis_text[name] = text
                axis.setLabel(text)
                axis.showLabel(bool(text))

    def _recheck_least(self, *_: object) -> None:
        """The minimum depends on what the laid-out title and axes take: tell the layout
        when it changed."""
        least = self.minimumSizeHint()
        if least != self._least:
            self._least = least
            self.updateGeometry()

    def minimumSizeHint(self) -> QtCore.QSize:  # noqa: N802 - Qt override
        """Room for the title, the axes, the colour bar and a small plot, so that a layout
        never squeezes the graphics below what they need (they would be clipped)."""
        tick = QtGui.QFont()
        tick.setPixelSize(12)
        fm = QtGui.QFontMetrics(tick)
        title = QtGui.QFont()
        title.setPointSizeF(10)
        title_px = QtGui.QFontMetrics(title).horizontalAdvance(self._title_text) + 16
        left = 0
        if self.plot.getAxis("left").isVisible():
            widest = max((fm.horizontalAdvance(t) for t in self._y_labels), default=0)
            left = widest + 5 + fm.height() + 12  # tick labels, tick marks, axis label
        bar = _COLORBAR_PX + 6 if self.show_colorbar else 0
        text_w, text_h = self.numbers.text_size()
        plot_px = max(_MIN_PLOT_PX, int(text_w) + 8 if self._written else 0)
        width = left + max(plot_px, title_px) + bar + 12  # the title spans the plot only
        height = 2 * fm.height() + 24 + (fm.height() + 6 if self._title_text else 0)
        # a matrix or bias strip with numbers asks for rows tall enough to hold them (a
        # 16×3 matrix would otherwise be a numberless strip on a 720-pixel screen); its
        # width follows the room there is (the numbers show where the columns fit)
        plot_h = _MIN_PLOT_PX
        tall = self._written and not self._square
        if tall:
            least_h = self.numbers.least_text_size()[1]  # presentation may fall back
            plot_h = max(plot_h, min(_MAX_PLOT_PX, math.ceil(self._rows * least_h * 1.03) + 2))
        if self.least_cell_px > 0:  # kernels big enough to tell their weights apart
            cell = self.least_cell_px
            plot_h = max(plot_h, min(_MAX_PLOT_PX, math.ceil(self._rows * cell) + 2))
            plot_px = max(plot_px, min(_MAX_PLOT_PX, math.ceil(self._cols * cell) + 2))
            width = left + max(plot_px, title_px) + bar + 12
        box = self.plot.vb.size()
        if (tall or self.least_cell_px > 0) and box.width() > 0 and box.height() > 0:
            # laid out: what title, axes and bar really take around the plot (larger
            # fonts when presenting), bounded: a view caught mid-layout must not ask
            # for a window's size
            around_h = math.ceil(self.view.height() - box.height())
            height = max(height, min(around_h, height + 40))
            if self.least_cell_px > 0:
                around_w = math.ceil(self.view.width() - box.width())
                width = max(width, min(around_w + plot_px, width + 60))
        # never less than the graphics need (larger fonts when presenting): a view smaller
        # than its layout's minimum clips the colour bar and its numbers
        least = self.view.ci.effectiveSizeHint(QtCore.Qt.SizeHint.MinimumSize)
        return QtCore.QSize(
            max(width, math.ceil(least.width())), max(height + plot_h, math.ceil(least.height()))
        )

    def _write_numbers(self, data: np.ndarray, levels: tuple[float, float], show: bool) -> None:
        # only a panel that writes its numbers (at most MAX_TEXT_SIDE² cells) looks for
        # them: a kernel mosaic of millions of pixels once spent 0.6 s here for nothing
        cells = np.argwhere(np.isfinite(data)) if show and data.size else np.empty((0, 2), np.intp)
        font = QtGui.QFont()
        font.setPixelSize(11 if len(cells) > 64 else 12)  # ≥ 8 pt at 96 dpi: readable
        bound = max(abs(levels[0]), abs(levels[1])) or 1.0
        # dark ends of the diverging map get light text
        light = np.abs(data[cells[:, 0], cells[:, 1]]) > 0.6 * bound
        self.numbers.set_cells(data, cells, light, font)
        self._written = len(cells)

    def numbers_shown(self) -> bool:
        """Whether the numbers are drawn at the panel's current size (the cells are big
        enough on screen to hold one)."""
        if not self._written:
            return False
        width, height = self._units_per_pixel()
        return width > 0 and height > 0 and self.numbers.fits(1 / width, 1 / height)

    def cell_texts(self) -> list[str]:
        """The numbers written in the cells (for tests), in row-major order."""
        return self.numbers.texts()

    def pixel_at(self, scene_pos: QtCore.QPointF) -> tuple[int, int] | None:
        """``(row, col)`` of the image under a scene position, or ``None``."""
        return image_pixel_at(self.plot.vb, self.image_item, scene_pos)

    def scene_pos_of(self, row: int, col: int) -> QtCore.QPointF:
        """Scene position of the centre of image pixel ``(row, col)``."""
        return image_pixel_scene_pos(self.plot.vb, self.image_item, row, col)

    def _on_move(self, scene_pos: QtCore.QPointF) -> None:
        hit = self.pixel_at(scene_pos)
        text = self.describe(*hit) if hit is not None else None
        if text:
            self.hovered.emit(text)


def same_values(a: np.ndarray, b: np.ndarray) -> bool:
    """Whether ``a`` and ``b`` hold the same values (shape and dtype too; NaN equals NaN):
    what a view compares before drawing an array again."""
    return a is b or (
        a.dtype == b.dtype and bool(np.array_equal(a, b, equal_nan=a.dtype.kind in "fc"))
    )


def _same(before: tuple, drawn: tuple, data: np.ndarray) -> bool:
    """Whether ``set_data(data, …)`` with arguments ``drawn`` draws what ``before`` (the
    last call's data and arguments) drew: equal arguments and values (NaN gaps alike)."""
    return before[1] == drawn and same_values(before[0], data)
