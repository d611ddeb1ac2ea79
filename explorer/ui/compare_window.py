"""Tools ▸ Compare Standard vs Separable… and Tools ▸ Measure Layer Times.

The comparison takes the selected layer's input and runs it through a standard k×k conv and
through depthwise k×k + pointwise 1×1 to the same output channels
(:func:`explorer.core.compare.compare_blocks`), then shows a few feature maps of each, their
params, MACs, FLOPs and **measured** forward time, the formula ratio 1/C_out + 1/k², and a
sentence that says whether the saved arithmetic became saved time on this machine.

Timing runs on a worker thread (never the GUI thread), latest wins
(:class:`~explorer.ui.runner.LatestRunner`, the controller's runner too): asking again while
a measurement runs queues the new one and drops the old result.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from PySide6 import QtCore, QtGui, QtWidgets

from ..core.errors import ExplorerError
from ..core.specs import DepthwiseSpec, LayerSpec, PointwiseSpec, SeparableSpec, StandardSpec
from ..core.text import shape_text
from .compare_plots import BlockColumn, ratio_lines
from .runner import LatestRunner

if TYPE_CHECKING:
    from ..core.compare import ComparisonResult
    from .host import ToolHost

__all__ = ["CompareWindow", "LayerTimer", "compare_defaults", "install"]


def compare_blocks(*args: Any, **kwargs: Any) -> ComparisonResult:
    """:func:`explorer.core.compare.compare_blocks`, importing torch only when called."""
    from ..core.compare import compare_blocks as run

    return run(*args, **kwargs)


def time_layers(*args: Any, **kwargs: Any) -> list[float]:
    """:func:`explorer.core.compare.time_layers`, importing torch only when called."""
    from ..core.compare import time_layers as run

    return run(*args, **kwargs)


FIRST_RUN_TIP = ("Wall time of each layer's forward pass in the last run: ONE run, including "
                 "first-call overheads. Tools ▸ Measure Layer Times gives medians.")
MEDIAN_TIP = ("Median of {repeats} timed forward passes of each layer after 2 warm-up runs "
              "(Tools ▸ Measure Layer Times), on {device}.")


class _Measurements(QtCore.QObject):
    """A :class:`LatestRunner` that calls back with the latest result or a one-line error."""

    busy_changed = QtCore.Signal(bool)

    def __init__(self, on_result: Callable[[Any], None], on_error: Callable[[str], None],
                 parent: QtCore.QObject) -> None:
        super().__init__(parent)
        self._runner = LatestRunner(self)
        self._runner.returned.connect(lambda _rev, value: on_result(value))
        self._runner.errored.connect(lambda _rev, exc: on_error(
            str(exc) if isinstance(exc, ExplorerError)
            else f"internal error: {type(exc).__name__}: {exc}"))
        self._runner.busy_changed.connect(self.busy_changed)

    @property
    def busy(self) -> bool:
        return self._runner.busy

    def submit(self, func: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        self._runner.submit(func, *args, **kwargs)


def compare_defaults(layers: Sequence[LayerSpec], index: int,
                     in_channels: Sequence[int]) -> tuple[int, int, int]:
    """``(input layer, out_channels, kernel size)`` to compare for the selected layer.

    The input layer is the layer whose input is used (-1: none selected, use the image).
    A separable layer, or a depthwise → pointwise pair, gives its own settings; a standard
    layer its C_out and k; otherwise k = 3 and C_out = that layer's or 16.
    """
    if not 0 <= index < len(layers):
        return -1, 16, 3
    spec = layers[index]
    nxt = layers[index + 1] if index + 1 < len(layers) else None
    prev = layers[index - 1] if index > 0 else None
    if isinstance(spec, (SeparableSpec, StandardSpec)):
        return index, spec.out_channels, spec.kernel_size[0]
    if isinstance(spec, DepthwiseSpec):
        out = nxt.out_channels if isinstance(nxt, PointwiseSpec) else (
            in_channels[index] * spec.multiplier)
        return index, out, spec.kernel_size[0]
    assert isinstance(spec, PointwiseSpec)
    if isinstance(prev, DepthwiseSpec):
        return index - 1, spec.out_channels, prev.kernel_size[0]
    return index, spec.out_channels, 3


class CompareWindow(QtWidgets.QDialog):
    """Standard k×k conv vs depthwise + pointwise on the selected layer's input."""

    def __init__(self, host: ToolHost) -> None:
        super().__init__(host.widget)
        self.setObjectName("CompareWindow")
        self.setWindowTitle("Standard vs Depthwise-Separable")
        self._host = host
        self.result: ComparisonResult | None = None
        self.error = ""
        self._input: np.ndarray | None = None
        self.source = QtWidgets.QLabel()
        self.out_channels = QtWidgets.QSpinBox(prefix="C_out = ", minimum=1, maximum=4096)
        self.kernel = QtWidgets.QSpinBox(prefix="k = ", minimum=1, maximum=31)
        self.repeats = QtWidgets.QSpinBox(prefix="repeats = ", minimum=1, maximum=100, value=7)
        self.repeats.setToolTip("Timed runs of each block; the median is shown")
        self.run_button = QtWidgets.QPushButton("Run && Measure")
        self.run_button.setDefault(True)
        self.run_button.clicked.connect(self.run)
        self.busy_bar = QtWidgets.QProgressBar(maximumWidth=120, textVisible=False)
        self.busy_bar.setRange(0, 0)
        self.busy_bar.hide()
        controls = QtWidgets.QHBoxLayout()
        for widget in (self.out_channels, self.kernel, self.repeats, self.run_button,
                       self.busy_bar):
            controls.addWidget(widget)
        controls.addStretch(1)
        # their grids are made after the window shows, one per event-loop turn (_build_next)
        self.standard = BlockColumn("Standard k×k conv", build_now=False)
        self.separable = BlockColumn("Depthwise k×k + pointwise 1×1", build_now=False)
        columns = QtWidgets.QHBoxLayout()
        columns.addWidget(self.standard, 1)
        columns.addWidget(self.separable, 1)
        self.ratios = QtWidgets.QLabel(wordWrap=True)
        self.ratios.setTextInteractionFlags(QtCore.Qt.TextInteractionFlag.TextSelectableByMouse)
        self.summary = QtWidgets.QLabel(wordWrap=True)
        font = QtGui.QFont(self.summary.font())
        font.setPointSizeF(font.pointSizeF() * 1.35)
        font.setBold(True)
        self.summary.setFont(font)
        note = QtWidgets.QLabel(
            "MACs: multiply-accumulates, bias excluded; FLOPs = 2 × MACs. Fewer FLOPs is not "
            "always less time: on a CPU, depthwise and 1×1 layers are often limited by memory "
            "traffic, not arithmetic.", wordWrap=True)
        layout = QtWidgets.QVBoxLayout(self)
        layout.addWidget(self.source)
        layout.addLayout(controls)
        layout.addLayout(columns, 1)
        layout.addWidget(self.ratios)
        layout.addWidget(self.summary)
        layout.addWidget(note)
        self._runner = _Measurements(self._on_result, self._on_error, self)
        self._runner.busy_changed.connect(self.busy_bar.setVisible)
        self.resize(1400, 860)

    @property
    def busy(self) -> bool:
        """A measurement is running or waiting."""
        return self._runner.busy

    def open_for_selection(self) -> None:
        """Take the selected layer's input and settings, show the window, and run."""
        host = self._host
        layers = host.document.layers
        cost = host.run.cost
        channels = [layer.input_shape[0] for layer in cost.layers] if cost is not None else []
        index = host.selection
        if cost is None or index >= len(cost.layers):
            index = -1
        first, c_out, k = compare_defaults(layers, index, channels)
        results = host.run.results
        if first > 0 and first - 1 in results:
            self._input = np.array(results[first - 1].output)  # writable: torch wants it
            where = f"the input of layer {first + 1} (layer {first}'s output)"
        else:
            self._input = (None if host.run.input_image is None
                           else np.array(host.run.input_image))
            where = "the input image"
        shape = "?" if self._input is None else shape_text(self._input.shape)
        self.source.setText(f"Input: {where}, {shape} (C×H×W); stride 1, 'same' padding.")
        self.out_channels.setValue(c_out)
        self.kernel.setValue(k)
        self.show()
        if QtGui.QGuiApplication.platformName() != "offscreen":
            self.raise_()
        self.run()

    def showEvent(self, event: QtGui.QShowEvent) -> None:  # noqa: N802 (Qt naming)
        """Make the columns' plots in the next event-loop turns (not before the first paint)."""
        super().showEvent(event)
        if not (self.standard.built and self.separable.built):
            QtCore.QTimer.singleShot(0, self, self._build_next)

    def _build_next(self) -> None:
        """Make one column's grid, then come back on the next turn for the other (each takes
        tens of ms; a result that comes first makes its grid at once)."""
        for column in (self.standard, self.separable):
            if not column.built:
                column.build()
                QtCore.QTimer.singleShot(0, self, self._build_next)
                return

    def run(self) -> None:
        """Measure both blocks with the settings shown (on a worker thread)."""
        if self._input is None:
            self._on_error("no input yet: wait for the image to load")
            return
        self._runner.submit(compare_blocks, None, self.out_channels.value(), self.kernel.value(),
                            image=self._input, seed=self._host.document.scene.seed,
                            repeats=self.repeats.value())
        self.summary.setText("Measuring…")

    def _on_result(self, result: ComparisonResult) -> None:
        self.result, self.error = result, ""
        k = shape_text(result.standard.kernel_size)
        self.standard.setTitle(f"Standard {k} conv → {result.standard.out_channels} channels")
        self.separable.setTitle(f"Depthwise {k} + pointwise 1×1 → "
                                f"{result.separable.out_channels} channels")
        self.standard.show_block(result.standard_output, result.standard_cost,
                                 result.standard_seconds, "standard output")
        self.separable.show_block(result.separable_output, result.separable_cost,
                                  result.separable_seconds, "separable output")
        self.ratios.setText("\n".join(ratio_lines(result)))
        self.summary.setText(result.summary)

    def _on_error(self, message: str) -> None:
        self.result, self.error = None, message
        self.summary.setText(message)
        self.ratios.setText("")
        for column in (self.standard, self.separable):
            column.clear(message)


class LayerTimer(QtCore.QObject):
    """Tools ▸ Measure Layer Times: median per-layer times into the cost view."""

    def __init__(self, host: ToolHost, repeats: int = 7) -> None:
        super().__init__(host.widget)
        self._host = host
        self.repeats = repeats
        self.seconds: list[float] | None = None
        self.error = ""
        self._runner = _Measurements(self._on_result, self._on_error, self)
        host.run.run_finished.connect(lambda *_: self._set_tip(FIRST_RUN_TIP))
        self._set_tip(FIRST_RUN_TIP)

    @property
    def busy(self) -> bool:
        return self._runner.busy

    def measure(self) -> None:
        """Time every layer on its real input (worker thread)."""
        host = self._host
        c = host.run
        if c.input_image is None or c.error is not None:
            host.show_status("Nothing to time: the stack has not run.", 8000)
            return
        self.seconds = None
        host.show_status("Measuring layer times…")
        self._runner.submit(time_layers, tuple(host.document.layers),
                            np.array(c.input_image), host.document.scene.seed,
                            repeats=self.repeats)

    def _on_result(self, seconds: list[float]) -> None:
        host = self._host
        if len(seconds) != len(host.document.layers):
            return  # the stack changed meanwhile
        self.seconds, self.error = list(seconds), ""
        host.set_timings(dict(enumerate(seconds)))
        from ..core.run import pick_device

        self._set_tip(MEDIAN_TIP.format(repeats=self.repeats, device=pick_device()))
        host.show_status(f"Layer times: median of {self.repeats} runs "
                         f"(total {sum(seconds) * 1e3:.2f} ms)", 10000)

    def _on_error(self, message: str) -> None:
        self.error = message
        self._host.show_status(message, 15000)

    def _set_tip(self, text: str) -> None:
        self._host.cost_view.set_column_tip("time (ms)", text)

    def header_tip(self) -> str:
        return self._host.cost_view.column_tip("time (ms)")


class CompareTools:
    """What :func:`install` returns: the comparison window and the layer timer.

    The window (two feature grids) is made on first use, not at start-up.
    """

    def __init__(self, host: ToolHost) -> None:
        self._host = host
        self._window: CompareWindow | None = None
        self.timer = LayerTimer(host)
        parent = host.widget
        self.compare_action = QtGui.QAction("&Compare Standard vs Separable…", parent)
        self.compare_action.setShortcut(QtGui.QKeySequence("Ctrl+K"))
        self.compare_action.setStatusTip("Run the selected layer's input through a standard "
                                         "conv and a depthwise-separable one, and time both")
        self.compare_action.triggered.connect(lambda _=False: self.window.open_for_selection())
        self.measure_action = QtGui.QAction("&Measure Layer Times", parent)
        self.measure_action.setStatusTip("Median forward time of each layer after warm-up")
        self.measure_action.triggered.connect(lambda _=False: self.timer.measure())
        for action in (self.compare_action, self.measure_action):
            host.add_action(action, "tools")

    @property
    def window(self) -> CompareWindow:
        """The comparison window (made on first use)."""
        if self._window is None:
            self._window = CompareWindow(self._host)
        return self._window


def install(host: ToolHost) -> CompareTools:
    """Add Tools ▸ Compare Standard vs Separable… (Ctrl+K) and Tools ▸ Measure Layer Times."""
    return CompareTools(host)
