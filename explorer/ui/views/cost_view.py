"""The cost of the stack: a table per layer, MACs as bars, and separable-vs-standard
comparisons written out with the formula and the user's own numbers.

Counting conventions are those of :mod:`explorer.core.analysis.costs` and are written under the
table, because tools disagree on them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from explorer.core.analysis.costs import Comparison, StackCost
from explorer.core.analysis.tool_counts import CONVENTION as _CONVENTION
from explorer.core.compute.timing import Timing
from explorer.core.text import shape_text
from explorer.ui.views.coalesce import Coalescer
from explorer.ui.views.compact_axis import CompactAxis as _CompactAxis
from explorer.ui.views.cost_text import comparison_text
from explorer.ui.views.table_cells import CellWriter, cell
from explorer.ui.views.timing_text import TimingRow, median_of, time_cell, timing_note
from explorer.ui.widgets.anchored_text import AnchoredText
from explorer.ui.widgets.later_height import LaterHeight
from explorer.ui.widgets.plot_utils import (
    compact,
    grouped,
    make_layout_widget,
    style_plot,
    theme_colors,
)

__all__ = ["COLUMNS", "CONVENTION", "MAX_VISIBLE_ROWS", "CostView", "comparison_text", "shape_text"]

COLUMNS = ("#", "kind", "output", "params", "MACs", "FLOPs", "time (ms)")
CONVENTION = _CONVENTION + (
    " Other tools count differently: Tools ▸ Counts as Other Tools Report Them."
)
_BAR = QtGui.QColor(70, 130, 180)
_BAR_SELECTED = QtGui.QColor(255, 140, 0)
_OUTPUT = COLUMNS.index("output")
#: Columns left out, in this order, when the table is too narrow for all (FLOPs = 2 × MACs).
_DROPPABLE = (_OUTPUT, COLUMNS.index("FLOPs"))
#: Least time between two redraws of the costs while edits come quicker (a slider drag):
#: the table and chart then follow at 25 per second instead of at every step.
COST_INTERVAL_MS = 40
#: Rows shown without a vertical scroll bar; longer stacks scroll.
MAX_VISIBLE_ROWS = 12
#: Widest cells the table is sized for before any costs are known (a large stack).
_SAMPLE_ROW = (
    "10",
    "separable",
    "128×112×112",
    "1,234,567",
    "99,999,999",
    "999,999,998",
    "99.99 ±9.99",
)


def _count(n: int) -> str:
    # exact, so a user can check it against torch; the compact form is in the tooltip
    return grouped(n)


class CostView(QtWidgets.QWidget):
    """Params, MACs, FLOPs and measured time of every layer, with comparisons.

    Signals
    -------
    layer_selected(int)
        The user clicked the row of a layer (0-based).
    remeasure_requested()
        The user pressed "Re-measure" (time every layer again).
    """

    layer_selected = QtCore.Signal(int)
    remeasure_requested = QtCore.Signal()

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self._cost: StackCost | None = None
        self._timings: dict[int, float | Timing] = {}
        self._measuring = False
        self._charted: tuple | None = None  # what the chart shows: see _fill_chart
        self._left_ticks: list | None = None  # the chart's layer names, as last set
        self._fitted: tuple | None = None  # what the column widths were fitted to
        self._preferred_width: tuple | None = None  # (font, frame, margins), width
        self._later = Coalescer(self, interval_ms=COST_INTERVAL_MS)  # see show_costs_soon
        self._selected = -1
        self._error = QtWidgets.QLabel()
        self._error.setStyleSheet("color: #c62828; font-weight: bold;")
        self._error.setWordWrap(True)
        self._input = QtWidgets.QLabel()
        self.table = QtWidgets.QTableWidget(0, len(COLUMNS))
        self._cells = CellWriter(self.table)  # writes only the cells that change
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QtWidgets.QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QtWidgets.QAbstractItemView.SelectionMode.SingleSelection)
        self.table.horizontalHeader().setStretchLastSection(False)
        # a slightly smaller font and tight cells so all columns fit a dock
        font = self.table.font()
        font.setPointSizeF(font.pointSizeF() * 0.9)
        self.table.setFont(font)
        self.table.horizontalHeader().setFont(font)
        self.table.setStyleSheet("QTableWidget::item { padding: 0px 4px; }")
        self.table.setWordWrap(False)
        self.table.verticalHeader().setSectionResizeMode(QtWidgets.QHeaderView.ResizeMode.Fixed)
        self.table.verticalHeader().setDefaultSectionSize(QtGui.QFontMetrics(font).height() + 6)
        self.table.setSizeAdjustPolicy(QtWidgets.QAbstractScrollArea.SizeAdjustPolicy.AdjustIgnored)
        self.table.setSizePolicy(
            QtWidgets.QSizePolicy.Policy.Ignored, QtWidgets.QSizePolicy.Policy.Fixed
        )
        self.table.cellClicked.connect(self._on_cell_clicked)
        self._convention = QtWidgets.QLabel(CONVENTION)
        self._convention.setWordWrap(True)
        self._timing_row = TimingRow()
        self._timing_row.remeasure_requested.connect(self.remeasure_requested)
        self._timing_note, self.remeasure_button = self._timing_row.note, self._timing_row.button
        font = self._convention.font()
        font.setPointSizeF(font.pointSizeF() * 0.9)
        self._convention.setFont(font)
        self._chart = make_layout_widget()
        self.chart_height = LaterHeight(self._chart)
        self._plot = self._chart.addPlot(axisItems={"bottom": _CompactAxis("bottom")})
        style_plot(self._plot)
        self._plot.invertY(True)
        self._plot.setMouseEnabled(x=False, y=False)
        self._plot.setLabel("bottom", "MACs per layer")
        self._plot.getAxis("left").setWidth(110)
        self.bars = pg.BarGraphItem(x0=[], y=[], height=0.7, width=[])
        self._plot.addItem(self.bars)
        # reused, and cheap to move and re-text (a pg.TextItem re-lays itself out in Python)
        self._bar_labels: list[AnchoredText] = []
        self._comparisons = QtWidgets.QLabel()
        self._comparisons.setWordWrap(True)
        self._comparisons.setTextInteractionFlags(
            QtCore.Qt.TextInteractionFlag.TextSelectableByMouse
        )
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        self._dropped = QtWidgets.QLabel(wordWrap=True, visible=False)  # columns left out
        self._dropped.setStyleSheet("color: palette(mid); font-style: italic;")
        for widget in (
            self._error,
            self._input,
            self.table,
            self._dropped,
            self._convention,
            self._timing_row,
            self._chart,
            self._comparisons,
        ):
            layout.addWidget(widget)
        layout.addStretch(1)
        self._error.hide()
        self._timing_row.hide()

    # ------------------------------------------------------------------ public API
    def set_costs(
        self,
        cost: StackCost,
        comparisons: Sequence[Comparison],
        timings: Mapping[int, float] | None = None,
    ) -> None:
        """Show the costs of a stack (clears any error).

        Parameters
        ----------
        cost
            :func:`explorer.core.analysis.costs.stack_cost` of the stack.
        comparisons
            :func:`explorer.core.analysis.costs.find_comparisons` of it.
        timings
            Measured seconds (or :class:`~explorer.core.compute.timing.Timing`) per layer index,
            if known.
        """
        self._later.cancel()
        self._timings = dict(timings or {})
        self._show_costs(cost, comparisons)

    def show_costs_soon(
        self,
        cost: StackCost,
        comparisons: Sequence[Comparison],
        timings: Mapping[int, float] | None = None,
    ) -> None:
        """:meth:`set_costs` for edits as they come: the first at once, then at most one per
        :data:`COST_INTERVAL_MS` while they come quicker (a slider drag), always ending on
        the latest. Timings set meanwhile (:meth:`set_timings`) are shown with it."""
        self._timings = dict(timings or {})
        self._later.call(self._show_costs, cost, comparisons)

    def _show_costs(self, cost: StackCost, comparisons: Sequence[Comparison]) -> None:
        self._cost = cost
        self._error.hide()
        self.table.setEnabled(True)
        self._chart.setEnabled(True)
        self.bars.setOpacity(1.0)
        self._input.setText(f"input {shape_text(cost.input_shape)}")
        self._fill_table()
        self._fill_chart()
        kinds = [layer.kind for layer in cost.layers]
        self._comparisons.setText("\n".join(comparison_text(c, kinds) for c in comparisons))
        self._comparisons.setVisible(bool(comparisons))
        if 0 <= self._selected < len(cost.layers):
            self.select_layer(self._selected)

    def set_timings(self, timings: Mapping[int, float | Timing], measuring: bool = False) -> None:
        """Fill in the measured time of the current costs: seconds or a
        :class:`~explorer.core.compute.timing.Timing` (median ± half the IQR) per layer index.
        ``measuring``: more are on their way (the column stays, with "…")."""
        self._timings = dict(timings)
        self._measuring = measuring
        if self._cost is not None and not self._later.pending:  # else shown with the costs
            self._fill_table()

    def set_column_tip(self, column: str, text: str) -> None:
        """Extension point: the tooltip of the table's column ``column`` (a name in
        :data:`COLUMNS`), e.g. how its numbers were measured."""
        item = self.table.horizontalHeaderItem(COLUMNS.index(column))
        if item is not None:
            item.setToolTip(text)

    def column_tip(self, column: str) -> str:
        """The tooltip of column ``column``."""
        item = self.table.horizontalHeaderItem(COLUMNS.index(column))
        return "" if item is None else item.toolTip()

    def timing_note_text(self) -> str:
        """The sentence under the table that says how times were measured."""
        return self._timing_note.text() if not self._timing_row.isHidden() else ""

    def set_error(self, message: str) -> None:
        """Show ``message`` in red and grey out the last numbers (which stay readable)."""
        self._later.flush()  # the latest costs first, greyed under the error
        self._error.setText(message)
        self._error.show()
        self.table.setEnabled(False)
        self._chart.setEnabled(False)
        self.bars.setOpacity(0.35)

    def select_layer(self, index: int) -> None:
        """Highlight layer ``index`` (0-based) in the table and the chart; -1 for none."""
        self._selected = index
        n = 0 if self._cost is None else len(self._cost.layers)
        blocker = QtCore.QSignalBlocker(self.table)
        if 0 <= index < n:
            self.table.selectRow(index)
        else:
            self.table.clearSelection()
        del blocker
        self._fill_chart()

    def preferred_width(self) -> int:
        """Width at which every column of a large stack fits without scrolling.

        Measured once per font, frame and margins (the texts measured are fixed): Qt asks
        every size hint of the dock's contents at each relayout of the window, ten calls of
        ≈ 1 ms each when a 4096-channel result arrived (task s10a).
        """
        margins = self.layout().contentsMargins()
        key = (self.table.font().key(), self.table.frameWidth(), margins.left(), margins.right())
        cached = self._preferred_width
        if cached is not None and cached[0] == key:
            return cached[1]
        width = self._measure_preferred_width()
        self._preferred_width = (key, width)
        return width

    def _measure_preferred_width(self) -> int:
        fm = QtGui.QFontMetrics(self.table.font())
        bold = QtGui.QFont(self.table.font())
        bold.setBold(True)
        fb = QtGui.QFontMetrics(bold)
        pad = 8 + 6  # item padding + the style's cell margin
        widths = [
            max(fm.horizontalAdvance(h), fb.horizontalAdvance(t)) + pad
            for h, t in zip(COLUMNS, _SAMPLE_ROW, strict=True)
        ]
        margins = self.layout().contentsMargins()
        return sum(widths) + 2 * self.table.frameWidth() + margins.left() + margins.right()

    def sizeHint(self) -> QtCore.QSize:  # noqa: N802 - Qt override
        """As wide as :meth:`preferred_width`, so a dock opens with every column shown."""
        hint = super().sizeHint()
        return QtCore.QSize(max(hint.width(), self.preferred_width()), hint.height())

    def resizeEvent(self, event: QtGui.QResizeEvent) -> None:  # noqa: N802 - Qt override
        """Re-fit the columns to a new width (the columns depend on the width only: a new
        scene makes the dock's scroll area resize this view in height, task s10e)."""
        super().resizeEvent(event)
        if self._cost is not None and event.size().width() != event.oldSize().width():
            self._fit_table()

    # -- read-only state, for tests
    def error_text(self) -> str:
        return self._error.text() if not self._error.isHidden() else ""

    def comparison_texts(self) -> list[str]:
        text = self._comparisons.text()
        return [line for line in text.split("\n") if line.startswith("Layer")] if text else []

    def convention_text(self) -> str:
        return self._convention.text()

    def bar_brushes(self) -> list[QtGui.QColor]:
        return [QtGui.QBrush(b).color() for b in self.bars.opts["brushes"] or []]

    # ------------------------------------------------------------------ internals
    def _fill_table(self) -> None:
        cost = self._cost
        rows = list(cost.layers)
        self._cells.set_rows(len(rows) + 1)
        timed = bool(self._timings) or self._measuring
        changed = False
        for r, layer in enumerate(rows):
            timing = self._timings.get(layer.index)
            tip = f"layer {layer.index + 1} ({layer.kind}): output {shape_text(layer.output_shape)}"
            if layer.elementwise:  # pooling, skip add, SE: not MACs
                tip += f"; element-wise work (not in MACs): {layer.elementwise:,}"
            cells = [
                cell(str(layer.index + 1), layer.index + 1, tip=tip),
                cell(layer.kind, tip=tip),
                cell(shape_text(layer.output_shape)),
                cell(_count(layer.params), layer.params),
                cell(_count(layer.macs), layer.macs),
                cell(_count(layer.flops), layer.flops),
                self._time_item(timing),
            ]
            for c, value in enumerate(cells):
                changed |= self._cells.put(r, c, value)
        medians = [median_of(self._timings.get(layer.index)) for layer in rows]
        complete = all(m is not None for m in medians)
        total_time = sum(m for m in medians if m is not None)
        totals = [
            cell("", bold=True),
            cell("total", bold=True),
            cell(shape_text(cost.output_shape), bold=True),
            cell(_count(cost.params), cost.params, bold=True),
            cell(_count(cost.macs), cost.macs, bold=True),
            cell(_count(cost.flops), cost.flops, bold=True),
            cell(
                f"{total_time * 1000:.2f}" if timed and complete else "…" if timed else "—",
                total_time * 1000 if timed and complete else None,
                bold=True,
            ),
        ]
        for c, value in enumerate(totals):
            changed |= self._cells.put(len(rows), c, value)
        self.table.setColumnHidden(len(COLUMNS) - 1, not timed)
        self._timing_note.setText(timing_note(self._timings, self._measuring, complete))
        self._timing_row.setVisible(timed)
        fitted = (len(rows), timed, self.width())
        if changed or fitted != self._fitted:  # same cells, same width: same column widths
            self._fit_table()

    def _time_item(self, timing: float | Timing | None) -> tuple:
        text, number, tip = time_cell(timing, self._measuring)
        return cell(text, number, tip=tip or "")

    def _fit_table(self) -> None:
        """Size the columns to their contents; drop the output shape (also in the layer
        list and in each row's tooltip) when the table is too narrow for it; make the
        table exactly as tall as its rows, so that every row and the total show."""
        table = self.table
        self._fitted = (
            table.rowCount() - 1,
            not table.isColumnHidden(len(COLUMNS) - 1),
            self.width(),
        )
        for column in _DROPPABLE:  # hidden columns are not measured
            table.setColumnHidden(column, False)
        table.resizeColumnsToContents()
        frame = 2 * table.frameWidth()
        margins = self.layout().contentsMargins()
        available = self.width() - margins.left() - margins.right() - frame
        rows = table.rowCount()
        scroll_rows = rows > MAX_VISIBLE_ROWS
        if scroll_rows:
            available -= table.verticalScrollBar().sizeHint().width()

        def shown_width() -> int:
            return sum(
                table.columnWidth(c) for c in range(len(COLUMNS)) if not table.isColumnHidden(c)
            )

        dropped = []
        for column in _DROPPABLE:  # the least important first, until the rest fit
            if shown_width() <= available:
                break
            table.setColumnHidden(column, True)
            dropped.append(COLUMNS[column])
        self._dropped.setText(
            f"Not shown for lack of width: {', '.join(dropped)} (widen the "
            "panel; the shape is in each row's tooltip)"
            if dropped
            else ""
        )
        self._dropped.setVisible(bool(dropped))
        shown = shown_width()
        policy = QtCore.Qt.ScrollBarPolicy
        table.setVerticalScrollBarPolicy(
            policy.ScrollBarAsNeeded if scroll_rows else policy.ScrollBarAlwaysOff
        )
        needs_bar = shown > available
        table.setHorizontalScrollBarPolicy(
            policy.ScrollBarAsNeeded if needs_bar else policy.ScrollBarAlwaysOff
        )
        height = table.horizontalHeader().sizeHint().height() + frame
        height += sum(table.rowHeight(r) for r in range(min(rows, MAX_VISIBLE_ROWS)))
        if needs_bar:
            height += table.horizontalScrollBar().sizeHint().height()
        table.setFixedHeight(height)

    def _fill_chart(self) -> None:
        if self._cost is None:
            return
        layers = self._cost.layers
        charted = (tuple((layer.index, layer.kind, layer.macs) for layer in layers), self._selected)
        if self._charted == charted:
            return  # the same bars (an edit of a field that changes no MACs, a reselection)
        self._charted = charted
        n = len(layers)
        brushes = [pg.mkBrush(_BAR_SELECTED if i == self._selected else _BAR) for i in range(n)]
        macs = [float(layer.macs) for layer in layers]
        self.bars.setVisible(n > 0)
        if n == 0:  # pyqtgraph's BarGraphItem cannot draw empty lists
            for label in self._bar_labels:
                label.setVisible(False)
            self._set_left_ticks([])
            return
        self.bars.setOpts(
            x0=[0.0] * n,
            y=list(range(n)),
            height=0.7,
            width=macs,
            brushes=brushes,
            pens=[pg.mkPen(None)] * n,
        )
        self._set_left_ticks(
            [(i, f"{layer.index + 1} {layer.kind}") for i, layer in enumerate(layers)]
        )
        _, foreground = theme_colors()
        while len(self._bar_labels) < n:
            label = AnchoredText(anchor=(0, 0.5), color=foreground)
            self._plot.addItem(label, ignoreBounds=True)
            self._bar_labels.append(label)
        top = max(macs, default=1.0) or 1.0
        for i, label in enumerate(self._bar_labels):
            label.setVisible(i < n)
            if i < n:
                # a long bar carries its number inside (light on the bar), so it is never
                # cut off at the right edge; a short one carries it after its end
                inside = macs[i] > 0.55 * top
                text = f"{compact(layers[i].macs)} " if inside else f" {compact(layers[i].macs)}"
                state = (inside, foreground, text)
                if getattr(label, "_drawn", None) != state:  # each set lays the text out again
                    label._drawn = state  # type: ignore[attr-defined]
                    label.set_anchor((1, 0.5) if inside else (0, 0.5))
                    label.set_color("w" if inside else foreground)
                    label.setText(text)
                if label.pos() != QtCore.QPointF(macs[i], i):
                    label.setPos(macs[i], i)
        self._plot.setRange(xRange=(0, top * 1.04), yRange=(-0.6, n - 0.4), padding=0)
        # the new transform now: changed during the next paint, it would make pyqtgraph
        # paint the chart a second time, in the same pass as the next maps
        self._plot.vb.updateMatrix()
        self.chart_height.set(70 + 26 * max(n, 1))  # in a later pass: see LaterHeight

    def _set_left_ticks(self, ticks: list[tuple[int, str]]) -> None:
        """The layer names beside the bars; only on a change (each call lays out and draws
        the axis again)."""
        if ticks != self._left_ticks:
            self._left_ticks = ticks
            self._plot.getAxis("left").setTicks([ticks, []])

    def _on_cell_clicked(self, row: int, _column: int) -> None:
        if self._cost is not None and row < len(self._cost.layers):
            self._selected = row
            self._fill_chart()
            self.layer_selected.emit(row)
