"""The weights of one layer, drawn so that what the layer computes can be read off.

What is drawn follows the convolution parts the layer's kind declares
(:mod:`explorer.core.analysis.weight_plan`), never the kind's name:

* a per-pixel matrix part (pointwise, or any 1×1 conv): the ``C_out × C_in`` matrix
  ``W[c, c']`` — the layer *is* this matrix product at every pixel — and the bias as a strip
  beside it;
* a per-channel part (depthwise): one ``k×k`` kernel per channel, in a grid;
* any other conv (standard): a grid of kernels, rows = output channels ``c``, columns = input
  channels ``c'`` (of the group), capped at 32×32 kernels;
* two parts (separable): the kernels and the matrix side by side.

Every panel uses a diverging blue–white–red map with levels ``±max|w|`` (zero is white),
a colour bar, integer channel ticks, and the numbers in the cells when few (≤ 256).
Array convention: a matrix panel's ``ImageItem.image`` is ``W[:, :, 0, 0]`` itself
(rows = output channels, drawn top to bottom); kernel grids follow
:func:`explorer.ui.views.weight_panels.kernel_mosaic`.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from explorer.core.analysis.weight_plan import MATRIX, MOSAIC, weight_parts, weights_title
from explorer.core.model.kinds.base import LayerSpec
from explorer.ui.views.weight_kernels import (
    MAX_KERNEL_GRID,
    MAX_KERNELS,
    OVERHEAD,
    depthwise_cols,
    draw_depthwise,
    draw_standard,
)
from explorer.ui.views.weight_matrix import draw_bias, draw_matrix
from explorer.ui.views.weight_panels import MatrixPanel, same_values
from explorer.ui.widgets.one_pass import paint_together

__all__ = ["MAX_KERNELS", "MAX_KERNEL_GRID", "WeightView"]

_OVERHEAD = OVERHEAD
_SLOTS = ("kernels", "kernel_bias", "matrix", "matrix_bias")
_BIAS_SLOT = {"kernels": "kernel_bias", "matrix": "matrix_bias"}


class WeightView(QtWidgets.QWidget):
    """Heat maps of a layer's weights (see the module docstring).

    Signals
    -------
    panel_clicked(MatrixPanel, event)
        A click on a panel (pyqtgraph's ``MouseClickEvent``): an extension point for tools
        that act on a weight (see also :meth:`add_bar` and :meth:`set_context_menu`).
    """

    panel_clicked = QtCore.Signal(object, object)

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self._title = QtWidgets.QLabel()
        font = self._title.font()
        font.setBold(True)
        self._title.setFont(font)
        self._title.setWordWrap(True)
        self._note = QtWidgets.QLabel()
        self._note.setWordWrap(True)
        self._readout = QtWidgets.QLabel(" ")
        self._message = QtWidgets.QLabel(alignment=QtCore.Qt.AlignmentFlag.AlignCenter)
        self._message.setWordWrap(True)
        self._panels: dict[str, MatrixPanel] = {}
        self._shown: dict[str, str] = {}  # slot -> weight key
        self._grid = QtWidgets.QGridLayout()
        self._grid.setContentsMargins(0, 0, 0, 0)
        self._grid.setSpacing(4)
        for slot in _SLOTS:
            panel = MatrixPanel(show_colorbar=not slot.endswith("bias"))
            panel.hovered.connect(self._readout.setText)
            panel.view.scene().sigMouseClicked.connect(
                lambda event, p=panel: self.panel_clicked.emit(p, event)
            )
            self._panels[slot] = panel
        self._two_rows: bool | None = None
        self._fit_key: tuple = ()  # what the arrangement was chosen for (see _refit)
        self._names: tuple[list[str] | None, list[str] | None] = (None, None)
        self._drawn: tuple | None = None  # what set_layer last drew (see _same_drawing)
        self._arrange(two_rows=False)
        # the depthwise kernels are laid out to fit the panel's shape, again after resizes
        self._depthwise_args: tuple | None = None
        self._depthwise_cols = 0
        self._refit_timer = QtCore.QTimer(self, singleShot=True, interval=40)
        self._refit_timer.timeout.connect(self._refit)
        self._panels["kernels"].plot.vb.sigResized.connect(lambda *_: self._refit_timer.start())
        self._plots = QtWidgets.QWidget()
        self._plots.setLayout(self._grid)
        # panels ask for the room their numbers and kernels need to be read (a 16×3 matrix:
        # 16 rows of ≈ 14 px); on a low screen the weights scroll rather than shrink
        self._scroll = QtWidgets.QScrollArea()
        self._scroll.setObjectName("WeightScroll")
        self._scroll.setWidgetResizable(True)
        self._scroll.setFrameShape(QtWidgets.QFrame.Shape.NoFrame)
        self._scroll.setWidget(self._plots)
        self._scroll.viewport().installEventFilter(self)  # re-fit when the room changes
        self._stack = QtWidgets.QStackedWidget()
        self._stack.addWidget(self._scroll)
        self._stack.addWidget(self._message)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(4, 2, 4, 2)
        layout.setSpacing(2)
        layout.addWidget(self._title)
        layout.addWidget(self._note)
        layout.addWidget(self._stack, 1)
        layout.addWidget(self._readout)
        self.clear()

    # ------------------------------------------------------------------ public API
    def set_layer(
        self,
        kind: str | LayerSpec,
        weights: dict[str, np.ndarray],
        *,
        in_channels: int | None = None,
    ) -> None:
        """Show the weights of a layer.

        Parameters
        ----------
        kind
            The layer (its spec) or its kind's name. What is drawn follows the kind's
            declared convolution parts (:mod:`explorer.core.analysis.weight_plan`): a
            mosaic of per-channel kernels, a ``C_out × C_in`` matrix, or a kernel grid.
        weights
            :func:`explorer.core.compute.build.layer_weights`: torch-shaped arrays keyed
            ``"weight"``/``"bias"`` or ``"depthwise.weight"`` … ``"pointwise.bias"``;
            biases may be missing.
        in_channels
            The layer's input channels, if known: names the groups of a grouped
            standard conv and the input channel of each depthwise kernel.
        """
        drawn = (kind, in_channels, self._names, weights)
        if self._stack.currentWidget() is self._scroll and _same_drawing(drawn, self._drawn):
            return  # a new result of the layer shown, its weights unchanged: nothing to redo
        self._drawn = None
        parts = weight_parts(kind, weights, in_channels)
        if not parts:  # pools, activations, blocks
            name = kind if isinstance(kind, str) else kind.kind
            self.clear(
                f"A {name} layer has no k×k kernels or C_out×C_in matrix of its own "
                "to show here; its costs are in the Costs table."
            )
            return
        self._shown = {}
        self._depthwise_args = None
        notes: list[str] = []
        self._title.setText(weights_title(parts, weights))
        for part in parts:
            slot = "matrix" if part.drawn_as == MATRIX else "kernels"
            if slot in self._shown:  # one panel per role: say what is not drawn
                notes.append(f"(the {part.name} part's weights are not drawn)")
                continue
            w = np.asarray(weights[part.weight], np.float32)
            channels = part.in_channels if part.in_channels is not None else in_channels
            if part.drawn_as == MOSAIC:
                notes += self._depthwise(slot, w, channels, part.weight)
            elif part.drawn_as == MATRIX:
                self._matrix(slot, w[:, :, 0, 0], part.weight)
            else:
                notes += self._standard(slot, w, channels, part.weight)
            if part.bias is not None:
                align = "matrix" if slot == "matrix" else None
                self._bias(_BIAS_SLOT[slot], weights.get(part.bias), part.bias, align)
        for slot, panel in self._panels.items():
            panel.setVisible(slot in self._shown)
        self._note.setText("   ".join(notes))
        self._note.setVisible(bool(notes))
        self._refit()
        self._readout.setText("Hover over a weight to read its value.")
        self._stack.setCurrentWidget(self._scroll)
        self.setMaximumHeight(16777215)
        self._settle()
        self._drawn = (kind, in_channels, self._names, dict(weights))

    def _settle(self) -> None:
        """Place the new panels' ranges now, so that the next paint draws them once: a view
        range applied inside a paint makes Qt paint a panel again (two or three passes per
        new layer before). Pending layouts are not flushed here: flushing every widget's
        (``sendPostedEvents(None, LayoutRequest)``) laid the whole window out early and it
        then stayed out of full screen in presentation mode. A change of the matrix's row
        count keeps its left axis's width (room for two digits at least:
        ``MatrixPanel._size_left_axis``), so it needs no new layout and is painted once."""
        for slot in self._shown:
            self._panels[slot].settle()

    def show_curve(self, title: str, x: np.ndarray, y: np.ndarray) -> None:
        """Draw an activation's curve ``y = f(x)`` instead of weights (it has none)."""
        self.setMaximumHeight(16777215)  # after a compact clear()
        if not hasattr(self, "_curve"):
            self._curve = pg.PlotWidget()
            self._curve.setBackground("w")
            self._curve.showGrid(x=True, y=True, alpha=0.3)
            self._curve.setLabel("bottom", "input x")
            self._curve.setLabel("left", "output f(x)")
            self._curve.setMouseEnabled(x=False, y=False)
            self._stack.addWidget(self._curve)
        self._curve.clear()
        self._curve.addItem(pg.InfiniteLine(0, angle=0, pen=pg.mkPen("#999999")))
        self._curve.addItem(pg.InfiniteLine(0, angle=90, pen=pg.mkPen("#999999")))
        self._curve.plot(x, y, pen=pg.mkPen("#1f77b4", width=2))
        self._shown = {}
        self._drawn = None
        self._title.setText(title)
        self._note.setVisible(False)
        self._readout.setText(" ")
        self._stack.setCurrentWidget(self._curve)

    def set_channel_names(
        self, inputs: list[str] | None = None, outputs: list[str] | None = None
    ) -> None:
        """Names of the next layer's input and output channels (e.g. R, G, B → Y, Cb, Cr)
        for its axes, when the channels have names; call before :meth:`set_layer`."""
        self._names = (list(inputs) if inputs else None, list(outputs) if outputs else None)

    def clear(self, message: str = "", *, compact: bool = False) -> None:
        """Show ``message`` instead of weights; ``compact`` gives the room to the maps."""
        self.setMaximumHeight(5 * self.fontMetrics().height() if compact else 16777215)
        self._shown = {}
        self._drawn = None
        self._title.setText("")
        self._note.setVisible(False)
        self._message.setText(message)
        self._readout.setText(" ")
        self._stack.setCurrentWidget(self._message)

    def add_bar(self, bar: QtWidgets.QWidget) -> None:
        """Extension point: ``bar`` (e.g. a tool's buttons) in a row above the weights."""
        layout = self.layout()
        assert isinstance(layout, QtWidgets.QBoxLayout)
        layout.insertWidget(0, bar)

    def set_context_menu(self, menu: QtWidgets.QMenu) -> None:
        """Extension point: ``menu`` on a right-click on the weights, instead of
        pyqtgraph's axis menu (a click on a panel also arrives as ``panel_clicked``)."""
        self.setContextMenuPolicy(QtCore.Qt.ContextMenuPolicy.CustomContextMenu)
        self.customContextMenuRequested.connect(lambda pos: menu.popup(self.mapToGlobal(pos)))
        for panel in self._panels.values():
            panel.plot.setMenuEnabled(False)

    def panels(self) -> dict[str, MatrixPanel]:
        """The panels shown now, keyed by the weight they draw (``"weight"``,
        ``"pointwise.bias"`` …)."""
        return {key: self._panels[slot] for slot, key in self._shown.items()}

    def image_items(self) -> dict[str, pg.ImageItem]:
        """``ImageItem`` of each panel shown, keyed like :meth:`panels`."""
        return {key: panel.image_item for key, panel in self.panels().items()}

    def note_text(self) -> str:
        return self._note.text() if self._note.isVisibleTo(self) else ""

    def title_text(self) -> str:
        return self._title.text()

    def readout_text(self) -> str:
        return self._readout.text() if self._readout.isVisibleTo(self) else ""

    def set_interactive(self, interactive: bool) -> None:
        """``False`` for a saved figure: no "Hover over a weight…" line (nothing to hover)."""
        self._readout.setVisible(interactive)

    def is_two_rows(self) -> bool:
        """Whether the depthwise and pointwise parts of a separable layer are stacked."""
        return bool(self._two_rows)

    # ------------------------------------------------------------------ layout
    def showEvent(self, event: QtGui.QShowEvent) -> None:  # noqa: N802 - Qt override
        """Paint the panels in one pass with the feature maps (see :mod:`explorer.ui.widgets.one_pass`)."""
        super().showEvent(event)
        for panel in self._panels.values():
            paint_together(panel.view)

    def resizeEvent(self, event: QtGui.QResizeEvent) -> None:  # noqa: N802 - Qt override
        """Re-arrange the panels for the new shape (coalesced)."""
        super().resizeEvent(event)
        self._refit_timer.start()

    def eventFilter(self, watched: QtCore.QObject, event: QtCore.QEvent) -> bool:  # noqa: N802
        """The scroll area's room changed (a scroll bar came or went): re-fit."""
        if event.type() == QtCore.QEvent.Type.Resize and watched is self._scroll.viewport():
            self._refit_timer.start()
        return super().eventFilter(watched, event)

    def changeEvent(self, event: QtCore.QEvent) -> None:  # noqa: N802 - Qt override
        """Larger fonts (presentation mode) need larger panels: re-fit them."""
        super().changeEvent(event)
        if event.type() in (
            QtCore.QEvent.Type.FontChange,
            QtCore.QEvent.Type.ApplicationFontChange,
        ):
            self._fit_key = ()
            self._refit_timer.start()

    def _arrange(self, *, two_rows: bool) -> None:
        if two_rows == self._two_rows:
            return
        self._two_rows = two_rows
        for panel in self._panels.values():
            self._grid.removeWidget(panel)
        places = (
            {"kernels": (0, 0), "kernel_bias": (0, 1), "matrix": (1, 0), "matrix_bias": (1, 1)}
            if two_rows
            else {"kernels": (0, 0), "kernel_bias": (0, 1), "matrix": (0, 2), "matrix_bias": (0, 3)}
        )
        for slot, (r, c) in places.items():
            self._grid.addWidget(self._panels[slot], r, c)
        for c in range(4):
            self._grid.setColumnStretch(c, 1 if c in (0, 2) and not (two_rows and c == 2) else 0)
        self._grid.setRowStretch(0, 1)
        self._grid.setRowStretch(1, 1 if two_rows else 0)

    def _refit(self) -> None:
        """Stack a separable layer's two parts when that gives each a squarer panel, and
        lay out depthwise kernels in the number of columns that draws them biggest."""
        separable = "matrix" in self._shown and "kernels" in self._shown
        for label in (self._title, self._note):  # wrapped lines count in the minimum height
            label.setMinimumHeight(max(0, label.heightForWidth(max(label.width(), 50))))
        for slot in ("kernel_bias", "matrix_bias"):  # as wide as their fonts need
            if slot in self._shown:
                panel = self._panels[slot]
                panel.setFixedWidth(panel.minimumSizeHint().width())
        mins = {slot: self._panels[slot].minimumSizeHint() for slot in self._shown}
        rows = [
            [s for s in ("kernels", "kernel_bias") if s in mins],
            [s for s in ("matrix", "matrix_bias") if s in mins],
        ]
        wide = [sum(mins[s].width() + 4 for s in row) for row in rows]
        tall = [max((mins[s].height() for s in row), default=0) for row in rows]
        # the same layer shapes in the same room keep their arrangement: the panels'
        # minimum sizes (and the depthwise mosaic) follow their layout, and re-deciding
        # after each re-layout once flipped a separable layer between one and two rows
        # for ever
        dw = self._depthwise_args  # its mosaic follows the arrangement: the kernels count
        key = (
            tuple(
                (s, dw[1].shape if dw and dw[0] == s else self._panels[s].data_shape())
                for s in self._shown
            ),
            self._names,
            self._scroll.size().toTuple(),
        )
        if key != self._fit_key and separable:
            area = self._scroll.viewport().size()
            bias = sum(mins[s].width() + 4 for s in ("kernel_bias", "matrix_bias") if s in mins)
            one = min((area.width() - bias) / 2 - _OVERHEAD[0], area.height() - _OVERHEAD[1])
            two = min(area.width() - bias / 2 - _OVERHEAD[0], area.height() / 2 - _OVERHEAD[1])
            # stacked only when that is squarer and needs no scrolling: where either
            # arrangement must scroll, one row scrolls least (a 16×3 matrix with its
            # numbers beside three kernels)
            two_fit = area.height() >= sum(tall) + self._grid.verticalSpacing()
            one_wide = area.width() >= sum(wide)
            self._arrange(two_rows=not one_wide or (two_fit and two > one))
        elif key != self._fit_key:
            self._arrange(two_rows=False)
        self._fit_key = key
        if not self._two_rows:  # an empty column must not take half the width
            self._grid.setColumnStretch(0, int("kernels" in self._shown))
            self._grid.setColumnStretch(2, int("matrix" in self._shown))
        # never ask for more room than the narrower arrangement needs: the window must
        # fit 1280×800 with its docks; the arrangement above follows the room there is
        # (stacked parts need both their heights, or each is squashed to a line)
        self._plots.setMinimumSize(
            max(wide, default=0),
            sum(tall) + max(0, self._grid.verticalSpacing())
            if self._two_rows
            else max(tall, default=0),
        )
        if self._depthwise_args is not None:
            cols = self._fitting_cols(*self._depthwise_args)
            if cols != self._depthwise_cols:
                self._depthwise(*self._depthwise_args)

    # ------------------------------------------------------------------ panels
    def _use(self, slot: str, key: str) -> MatrixPanel:
        self._shown[slot] = key
        return self._panels[slot]  # a bias strip's link is set by draw_bias

    def _matrix(self, slot: str, matrix: np.ndarray, key: str) -> None:
        draw_matrix(self._use(slot, key), matrix, key, self._names)

    def _bias(self, slot: str, bias: np.ndarray | None, key: str, align: str | None) -> None:
        if bias is not None:
            beside = self._panels[align] if align is not None else None
            draw_bias(self._use(slot, key), bias, key, beside)

    def _standard(
        self, slot: str, w: np.ndarray, in_channels: int | None, key: str = "weight"
    ) -> list[str]:
        return draw_standard(self._use(slot, key), w, in_channels, self._names)

    def _fitting_cols(self, slot: str, w: np.ndarray, in_channels: int | None, key: str) -> int:
        names = self._names[0]
        return depthwise_cols(self._panels[slot], w, in_channels, named=bool(names))

    def _depthwise(self, slot: str, w: np.ndarray, in_channels: int | None, key: str) -> list[str]:
        self._depthwise_args = (slot, w, in_channels, key)
        cols = self._depthwise_cols = self._fitting_cols(slot, w, in_channels, key)
        return draw_depthwise(self._use(slot, key), w, in_channels, key, cols, self._names[0])


def _same_drawing(new: tuple, old: tuple | None) -> bool:
    """Whether ``set_layer``'s arguments ``new`` (kind, in_channels, channel names, weights)
    draw what ``old`` drew: the same layer and names, and weights equal value for value
    (a rerun after an edit elsewhere, or of the input, brings new arrays of the same
    numbers; comparing them costs microseconds, redrawing the panels and their layout
    milliseconds)."""
    if old is None or new[:3] != old[:3]:
        return False
    weights, before = new[3], old[3]
    if weights.keys() != before.keys():
        return False
    return all(same_values(np.asarray(w), np.asarray(before[key])) for key, w in weights.items())
