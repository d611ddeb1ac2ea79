"""The pixel inspector: how one value of a feature map was computed, with its numbers.

Click a pixel of a feature map (or turn on *Follow the mouse*) and the dock shows, for the
selected layer at that pixel: for a 1×1 layer (or the pointwise part of a separable one)
the input vector X[h,w,:], the weight matrix K, the products for the chosen output channel
and the output vector Y[h,w,:]; for a k×k layer (or the depthwise part) the input window,
the kernel and the products. The formula is written out with the values filled in, and
the receptive field of the pixel is outlined on the input image.

The numbers come from :mod:`explorer.core.analysis.inspect`, computed from the layer's input and
weights, not read off the feature map; the dock shows the feature map's value next to them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from PySide6 import QtCore, QtGui, QtWidgets

from explorer.core.analysis.conv_chain import conv_chain
from explorer.core.analysis.inspect import (
    PointwiseBreakdown,
    ReceptiveBox,
    WindowBreakdown,
    bn_activation,
    pointwise_breakdown,
    receptive_field_box,
    window_breakdown,
)
from explorer.core.errors import ExplorerError
from explorer.core.model.specs import LayerSpec
from explorer.ui.widgets.binding import connect_while_alive

if TYPE_CHECKING:
    from explorer.ui.tools.host import ToolHost
    from explorer.ui.tools.inspector_plots import InputView, PointwisePage, WindowPage

__all__ = ["Inspection", "InspectorDock", "inspect_pixel", "install"]

#: Output channels whose value is recomputed for the Y bars of a k×k layer.
MAX_WINDOW_OUTPUTS = 256


@dataclass(frozen=True)
class Inspection:
    """One inspected pixel: the breakdown of its value and where it comes from.

    Attributes
    ----------
    layer, part
        Layer index and the part whose output was clicked (``"conv"``, ``"pointwise"``,
        ``"depthwise"``).
    breakdown
        :class:`PointwiseBreakdown` or :class:`WindowBreakdown` of the value.
    outputs
        Every output channel at this pixel after BN/activation, computed from the input
        (``None`` for very wide k×k layers).
    input_pixel
        ``(row, col)`` of X that a 1×1 part reads (stride applied); top-left tap otherwise.
    box
        Receptive field in pixels of the stack's input.
    map_value
        The feature map's value at the pixel (what the grid draws).
    convolutions
        How many convolutions the layer has (more than one: the header names the part).
    """

    layer: int
    part: str
    breakdown: PointwiseBreakdown | WindowBreakdown
    outputs: np.ndarray | None
    input_pixel: tuple[int, int]
    box: ReceptiveBox
    map_value: float
    convolutions: int = 1

    @property
    def value(self) -> float:
        """The computed output (after BN and activation)."""
        return self.breakdown.output


def inspect_pixel(
    layers: Sequence[LayerSpec],
    index: int,
    part: str | None,
    results: Mapping[int, Any],
    input_image: np.ndarray,
    channel: int,
    row: int,
    col: int,
) -> Inspection:
    """Break down the value at ``(row, col)`` of ``channel`` of layer ``index``'s ``part``.

    Parameters
    ----------
    layers
        The stack.
    part
        ``None`` for the layer's output, else a part name of the layer's result.
    results
        Layer index → :class:`explorer.core.compute.run.LayerResult` (the layer and the one before).
    input_image
        The stack's input ``(C, H, W)`` (layer 0's input).

    Raises
    ------
    ExplorerError
        When the pixel or channel is outside the maps, or the layer has no result.
    """
    spec = layers[index]
    result = results.get(index)
    previous = results.get(index - 1) if index > 0 else None
    if result is None or result.kind != spec.kind or (index > 0 and previous is None):
        raise ExplorerError(f"layer {index + 1} has not been run yet")
    x = np.asarray(previous.output if previous is not None else input_image)
    names = list(result.parts)
    part = part if part in names else names[-1]
    maps = np.asarray(result.parts[part])
    if not (0 <= channel < maps.shape[0] and 0 <= row < maps.shape[1] and 0 <= col < maps.shape[2]):
        raise ExplorerError(
            f"pixel ({row}, {col}) of channel {channel} is outside layer "
            f"{index + 1}'s {part} maps {list(maps.shape)}"
        )
    w = result.weights
    chain = conv_chain(spec, int(x.shape[0]))
    step = next((s for s in chain if s.conv.group == part), None)
    if (
        step is None
        or step.weight not in w
        or (not step.first and not step.conv.matrix)
        or (step.conv.matrix and step.pad is not None)
    ):
        raise ExplorerError(
            f"the inspector explains convolutions; layer {index + 1} ({spec.kind}) is not one"
        )
    if spec.activation == "leaky_relu" and spec.negative_slope != 0.01:
        raise ExplorerError(
            f"the inspector explains leaky ReLU with torch's slope 0.01; layer {index + 1} "
            f"has {spec.negative_slope}"
        )
    conv = step.conv
    weight, bias = w[step.weight], (w.get(step.bias) if step.bias else None)
    extra = {"batch_norm": spec.batch_norm, "activation": spec.activation}
    if conv.matrix:
        stride = conv.stride
        if not step.first:  # reads the output of the part before it (D), not X
            x = np.asarray(result.parts[names[names.index(part) - 1]])
        bd: PointwiseBreakdown | WindowBreakdown = pointwise_breakdown(
            x[:, :: stride[0], :: stride[1]], weight, bias, row, col, channel, **extra
        )
        outputs = bn_activation(bd.out_vector, spec.batch_norm, spec.activation)
        pixel = (row * stride[0], col * stride[1])
    else:
        padding = step.pad if step.pad is not None else conv.padding  # asymmetric: the zero pad
        args = (x, weight, bias, conv.stride, padding, conv.dilation, conv.groups, row, col)
        bd = window_breakdown(*args, channel, **extra)
        outputs = None
        if weight.shape[0] <= MAX_WINDOW_OUTPUTS:
            outputs = np.array(
                [
                    bd.output if c == channel else window_breakdown(*args, c, **extra).output
                    for c in range(weight.shape[0])
                ]
            )
        pixel = (int(bd.rows[0]), int(bd.cols[0]))
    return Inspection(
        layer=index,
        part=part,
        breakdown=bd,
        outputs=outputs,
        input_pixel=pixel,
        box=receptive_field_box(layers, index, row, col),
        map_value=float(maps[channel, row, col]),
        convolutions=len(chain),
    )


def symbolic_formula(ins: Inspection) -> str:
    """The formula in symbols with this pixel's indices, then = the numbers of the core."""
    bd = ins.breakdown
    r, c, o = bd.row, bd.col, bd.out_channel
    numbers = bd.formula.split(" = ", 1)[1]
    if isinstance(bd, PointwiseBreakdown):
        h, w = ins.input_pixel
        symbols = f"Σ_c' X[{h},{w},c']·K[c',{o}]"
    else:
        n = len(bd.in_channels)
        over = f"c' = {bd.in_channels[0]}…{bd.in_channels[-1]}, " if n > 1 else ""
        chan = "c'" if n > 1 else str(int(bd.in_channels[0]))
        kh, kw = bd.kernel.shape[1:]
        symbols = (
            f"Σ_({over}i<{kh}, j<{kw}) X[{int(bd.rows[0])}+i, {int(bd.cols[0])}+j, {chan}]"
            f"·K[i,j,{chan},{o}]"
        )
        if kh > 1 and len(bd.rows) > 1 and int(bd.rows[1] - bd.rows[0]) > 1:
            symbols = symbols.replace("+i", f"+{int(bd.rows[1] - bd.rows[0])}i").replace(
                "+j", f"+{int(bd.cols[1] - bd.cols[0])}j"
            )
    bias = f" + b[{o}]" if "b[" in bd.formula else ""
    return f"Y[{r},{c},{o}] = {symbols}{bias}\n      = {numbers}"


#: The plots are made starting this long after the dock's first paint (the rest of that
#: paint's work, layouts and repaints of the views it resized, comes first).
_AFTER_PAINT_MS = 20
#: ... or this long after the show, if no paint came.
_NO_PAINT_MS = 300
#: Between two plots: a real timer, so that a paint and input come between them (a
#: zero-delay single shot is a posted event: the next plot ran in the same pass, four
#: 8-13 ms plots in one gap of the GUI thread).
_NEXT_PLOT_MS = 1


class InspectorDock(QtWidgets.QDockWidget):
    """The "Inspector" dock of the window of ``host`` (View ▸ Panels, Ctrl+I).

    Attributes
    ----------
    inspection
        What is shown now (``None`` while there is nothing to show).
    """

    def __init__(self, host: ToolHost) -> None:
        super().__init__("Inspector", host.widget)
        self.setObjectName("InspectorDock")
        self._host = host
        self.inspection: Inspection | None = None
        self._pixel: tuple[int, int, int] | None = None  # (channel, row, col)
        self._awaiting_paint = False  # shown: the plots start after its first paint
        self._build()
        self._timer = QtCore.QTimer(self, singleShot=True, interval=0)
        self._timer.timeout.connect(self.refresh)
        grid = host.maps_view
        grid.pixel_clicked.connect(self.set_pixel)
        grid.pixel_hovered.connect(self._on_hover)
        host.part_changed.connect(self._schedule)
        host.run.layer_result.connect(self._on_result)
        connect_while_alive(host.document.selection_changed, lambda _: self._schedule(), self)
        self.visibilityChanged.connect(lambda visible: visible and self._schedule())

    def _build(self) -> None:
        """The labels and boxes; the plots come on the first show (:meth:`_build_next_plot`)."""
        self.header = QtWidgets.QLabel()
        self.follow = QtWidgets.QCheckBox("Follow the mouse")
        self.follow.setToolTip("Inspect the pixel under the mouse instead of the clicked one")
        self.out_channel = QtWidgets.QSpinBox(prefix="output channel c = ")
        self.out_channel.setToolTip("The output channel whose value the formula computes")
        self.out_channel.valueChanged.connect(self._on_channel)
        top = QtWidgets.QHBoxLayout()
        top.addWidget(self.header, 1)
        top.addWidget(self.out_channel)
        top.addWidget(self.follow)
        self.formula = QtWidgets.QLabel(wordWrap=True)
        font = QtGui.QFont()
        font.setPixelSize(18)
        self.formula.setFont(font)
        self.formula.setTextInteractionFlags(QtCore.Qt.TextInteractionFlag.TextSelectableByMouse)
        self.check = QtWidgets.QLabel()
        self.message = QtWidgets.QLabel(
            alignment=QtCore.Qt.AlignmentFlag.AlignCenter, wordWrap=True
        )
        self.pages = QtWidgets.QStackedWidget()
        self.pages.addWidget(self.message)
        self.pages.setMinimumHeight(210)
        self._body = QtWidgets.QSplitter(QtCore.Qt.Orientation.Horizontal)
        self._body.addWidget(self.pages)
        self._pointwise: PointwisePage | None = None
        self._window: WindowPage | None = None
        self._input_view: InputView | None = None
        #: the pages' plots made ahead, one per event-loop turn: {page: {part: plot}}
        self._parts: dict[str, dict[str, QtWidgets.QWidget]] = {}
        box = QtWidgets.QWidget()
        layout = QtWidgets.QVBoxLayout(box)
        layout.setContentsMargins(6, 4, 6, 4)
        layout.addLayout(top)
        layout.addWidget(self.formula)
        layout.addWidget(self.check)
        layout.addWidget(self._body, 1)
        # scrolls rather than growing the window past a 1280×720 screen
        scroll = QtWidgets.QScrollArea(widgetResizable=True)
        scroll.setFrameShape(QtWidgets.QFrame.Shape.NoFrame)
        scroll.setWidget(box)
        self.setWidget(scroll)
        self._show_message("Click a pixel of a feature map to see how its value was computed.")

    @property
    def _plots(self) -> tuple[PointwisePage, WindowPage, InputView] | None:
        """All three plots once each has been made (``None`` before)."""
        if self._pointwise is None or self._window is None or self._input_view is None:
            return None
        return self._pointwise, self._window, self._input_view

    @property
    def pointwise_page(self) -> PointwisePage:
        """The page of a 1×1 breakdown (X, K, products, Y); made on first use."""
        if self._pointwise is None:
            from explorer.ui.tools.inspector_plots import PointwisePage

            self._pointwise = PointwisePage(parts=self._parts.pop("pointwise", None))
            self.pages.addWidget(self._pointwise)
        return self._pointwise

    @property
    def window_page(self) -> WindowPage:
        """The page of a k×k breakdown (window, kernel, products); made on first use."""
        if self._window is None:
            from explorer.ui.tools.inspector_plots import WindowPage

            self._window = WindowPage(parts=self._parts.pop("window", None))
            self.pages.addWidget(self._window)
        return self._window

    @property
    def input_view(self) -> InputView:
        """The stack's input with the receptive field outlined; made on first use."""
        if self._input_view is None:
            from explorer.ui.tools.inspector_plots import InputView

            view = InputView()
            view.setMinimumWidth(120)
            view.setMaximumWidth(300)  # the bars get the width, not the photo
            self._body.addWidget(view)
            self._body.setStretchFactor(0, 4)
            self._body.setStretchFactor(1, 1)
            self._input_view = view
            view.set_image(self._host.run.input_image)
            view.set_box(None)
        return self._input_view

    def _build_next_plot(self) -> None:
        """Make one plot not made yet (tens of ms each), then come back on the next turn:
        the first show never holds the GUI thread for more than one; a page is put
        together once its plots are made (a click makes whatever is missing at once)."""
        from explorer.ui.tools.inspector_plots import PAGE_PARTS

        if self._input_view is None:
            self.input_view  # noqa: B018 (made on first use)
            QtCore.QTimer.singleShot(_NEXT_PLOT_MS, self, self._build_next_plot)
            return
        for page, made in (("pointwise", self._pointwise), ("window", self._window)):
            if made is not None:
                continue
            parts = self._parts.setdefault(page, {})
            missing = [(name, make) for name, make in PAGE_PARTS[page] if name not in parts]
            if missing:
                name, make = missing[0]
                parts[name] = make()
            else:  # all its plots are made: the page itself is cheap
                self.pointwise_page if page == "pointwise" else self.window_page  # noqa: B018
            QtCore.QTimer.singleShot(_NEXT_PLOT_MS, self, self._build_next_plot)
            return

    def showEvent(self, event: QtGui.QShowEvent) -> None:  # noqa: N802 (Qt naming)
        """Make the plots in the turns after the dock's first paint (:meth:`paintEvent`),
        the input view first: the window's layout and paint with the dock (≈ 11 ms) and
        the first plot (≈ 12 ms) in one pass of the event loop were one 23 ms turn, and the
        input view made here (its module's import and the first one: 10-14 ms) made the
        menu action's own turn 20-24 ms the first time (s10b, ``bench_first_use.py``)."""
        if self._plots is None and not self._awaiting_paint:
            self._awaiting_paint = True
            # not painted (a platform that paints nothing): the plots come anyway
            QtCore.QTimer.singleShot(_NO_PAINT_MS, self, self._after_paint)
        super().showEvent(event)

    def paintEvent(self, event: QtGui.QPaintEvent) -> None:  # noqa: N802 (Qt naming)
        """The first paint after a show starts making the plots, a moment later."""
        super().paintEvent(event)
        if self._awaiting_paint:
            QtCore.QTimer.singleShot(0, self, self._after_paint)

    def _after_paint(self) -> None:
        if self._awaiting_paint:
            self._awaiting_paint = False
            QtCore.QTimer.singleShot(_AFTER_PAINT_MS, self, self._build_next_plot)

    # ------------------------------------------------------------------ public API
    def set_pixel(self, channel: int, row: int, col: int) -> None:
        """Inspect ``(row, col)`` of ``channel`` of the maps shown for the selected layer."""
        self._pixel = (int(channel), int(row), int(col))
        with QtCore.QSignalBlocker(self.out_channel):
            self.out_channel.setMaximum(max(self.out_channel.maximum(), int(channel)))
            self.out_channel.setValue(int(channel))
        self._schedule()

    def refresh(self) -> None:
        """Recompute and redraw now (normally done once per event-loop turn)."""
        self._timer.stop()
        host = self._host
        index = host.selection
        if self._pixel is None:
            return self._show_message(
                "Click a pixel of a feature map to see how its value was computed."
            )
        if index < 0 or index >= len(host.document.layers):
            return self._show_message(
                "The input has no weights: select a layer, then click a pixel of its feature maps."
            )
        c = host.run
        if c.input_image is None:
            return self._show_message("Computing…")
        try:
            ins = inspect_pixel(
                host.document.layers,
                index,
                host.current_part(),
                c.state.by_index(host.document.layers),
                c.input_image,
                *self._pixel,
            )
        except ExplorerError as err:
            return self._show_message(f"{err}. Click a pixel of the maps shown.")
        self._show(ins)

    def formula_text(self) -> str:
        return self.formula.text()

    # ------------------------------------------------------------------ internals
    def _schedule(self) -> None:
        if self.isVisible():
            self._timer.start()

    def _on_hover(self, channel: int, row: int, col: int, _value: float) -> None:
        if self.follow.isChecked():
            self.set_pixel(channel, row, col)

    def _on_channel(self, channel: int) -> None:
        if self._pixel is not None:
            self._pixel = (int(channel), *self._pixel[1:])
            self._schedule()

    def _on_result(self, _revision: int, result: object) -> None:
        if getattr(result, "index", None) in (self._host.selection, self._host.selection - 1):
            self._schedule()

    def _show_message(self, text: str) -> None:
        self.inspection = None
        self.message.setText(text)
        self.pages.setCurrentWidget(self.message)
        self.formula.setText("")
        self.check.setText("")
        self.header.setText("")
        if self._input_view is not None:
            self.input_view.set_image(self._host.run.input_image)
            self.input_view.set_box(None)

    def _show(self, ins: Inspection) -> None:
        self.inspection = ins
        bd = ins.breakdown
        spec = self._host.document.layers[ins.layer]
        n_out = len(ins.outputs) if ins.outputs is not None else bd.out_channel + 1
        with QtCore.QSignalBlocker(self.out_channel):
            self.out_channel.setRange(0, max(n_out - 1, bd.out_channel))
            self.out_channel.setValue(bd.out_channel)
        part = f" · {ins.part} part" if ins.convolutions > 1 else ""
        self.header.setText(
            f"<b>Layer {ins.layer + 1} · {spec.kind}{part}</b> · pixel "
            f"(row {bd.row}, col {bd.col}) · output channel {bd.out_channel}"
        )
        self.formula.setText(symbolic_formula(ins))
        agree = "✓" if np.isclose(ins.value, ins.map_value, rtol=1e-4, atol=1e-5) else "✗"
        self.check.setText(
            f"computed here: {ins.value:.6g}   ·   feature map shows: {ins.map_value:.6g}  {agree}"
        )
        if isinstance(bd, PointwiseBreakdown):
            self.pointwise_page.show_breakdown(
                bd, ins.outputs, f"{ins.input_pixel[0]},{ins.input_pixel[1]}"
            )
            self.pages.setCurrentWidget(self.pointwise_page)
        else:
            self.window_page.show_breakdown(bd)
            self.pages.setCurrentWidget(self.window_page)
        self.input_view.set_image(self._host.run.input_image)
        self.input_view.set_box(ins.box)


def install(host: ToolHost) -> InspectorDock:
    """Add the Inspector dock (hidden; View ▸ Panels ▸ Inspector, Ctrl+I)."""
    dock = InspectorDock(host)
    toggle = host.add_dock(dock, QtCore.Qt.DockWidgetArea.BottomDockWidgetArea)
    toggle.setShortcut(QtGui.QKeySequence("Ctrl+I"))
    toggle.setShortcutContext(QtCore.Qt.ShortcutContext.WindowShortcut)
    toggle.setStatusTip("Show how the value of a clicked pixel was computed")
    host.add_action(toggle)
    return dock
