"""Tools ▸ Compare Standard vs Separable… and Tools ▸ Measure Layer Times.

The comparison takes the selected layer's input and runs it through a standard k×k conv and
through depthwise k×k + pointwise 1×1 to the same output channels
(:func:`explorer.core.compare.compare_blocks`), then shows a few feature maps of each, their
params, MACs, FLOPs and **measured** forward time, the formula ratio 1/C_out + 1/k², and a
sentence that says whether the saved arithmetic became saved time on this machine.

Timing runs on a worker thread (never the GUI thread), latest wins: asking again while a
measurement runs queues the new one and drops the old result.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from PySide6 import QtCore, QtGui, QtWidgets

from ..core.errors import ExplorerError
from ..core.specs import DepthwiseSpec, LayerSpec, PointwiseSpec, SeparableSpec, StandardSpec
from .compare_plots import BlockColumn, ratio_lines
from .cost_view import COLUMNS
from .screen_fit import fit_to_screen

if TYPE_CHECKING:
    from ..core.compare import ComparisonResult
    from .main_window import MainWindow

__all__ = ["CompareWindow", "LayerTimer", "compare_defaults", "install"]


def compare_blocks(*args: Any, **kwargs: Any) -> ComparisonResult:
    """:func:`explorer.core.compare.compare_blocks`, importing torch only when called."""
    from ..core.compare import compare_blocks as run

    return run(*args, **kwargs)


def time_layers(*args: Any, **kwargs: Any) -> list[float]:
    """:func:`explorer.core.compare.time_layers`, importing torch only when called."""
    from ..core.compare import time_layers as run

    return run(*args, **kwargs)


_TIME_COLUMN = COLUMNS.index("time (ms)")
FIRST_RUN_TIP = ("Wall time of each layer's forward pass in the last run: ONE run, including "
                 "first-call overheads. Tools ▸ Measure Layer Times gives medians.")
MEDIAN_TIP = ("Median of {repeats} timed forward passes of each layer after 2 warm-up runs "
              "(Tools ▸ Measure Layer Times), on {device}.")


@functools.cache
def _worker_class() -> type:
    """The worker class, made on the first measurement: superqt is imported then, not
    at start-up."""
    from superqt.utils import FunctionWorker

    class _Worker(FunctionWorker):
        """A :class:`FunctionWorker` that leaves the global warning filters alone
        (superqt's ``run`` swaps them from the worker thread, racing the controller's
        worker)."""

        def run(self) -> None:  # the QRunnable entry point
            self.started.emit()
            self._running = True
            try:
                result = self.work()
                if not self.abort_requested:
                    self.returned.emit(result)
            except Exception as exc:  # reported on the GUI thread by `errored`
                self.errored.emit(exc)
            self._running = False
            self.finished.emit()
            self._finished.emit(self)

    return _Worker


class _LatestRunner(QtCore.QObject):
    """Runs one function at a time on a worker; a request made meanwhile waits, and only
    the latest request's result is delivered."""

    busy_changed = QtCore.Signal(bool)

    def __init__(self, on_result: Callable[[Any], None], on_error: Callable[[str], None],
                 parent: QtCore.QObject) -> None:
        super().__init__(parent)
        self._on_result, self._on_error = on_result, on_error
        self._worker: Any = None  # a superqt FunctionWorker while one runs
        self._pending: tuple[int, Callable[..., Any], tuple, dict] | None = None
        self._latest = 0

    @property
    def busy(self) -> bool:
        return self._worker is not None or self._pending is not None

    def submit(self, func: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        self._latest += 1
        self._pending = (self._latest, func, args, kwargs)
        self._start()
        self.busy_changed.emit(True)

    def _start(self) -> None:
        if self._worker is not None or self._pending is None:
            return
        request, func, args, kwargs = self._pending
        self._pending = None
        worker = _worker_class()(func, *args, **kwargs)
        worker.returned.connect(lambda value, r=request: self._returned(r, value))
        worker.errored.connect(lambda exc, r=request: self._errored(r, exc))
        worker.finished.connect(self._finished)
        self._worker = worker
        worker.start()

    def _returned(self, request: int, value: Any) -> None:
        if request == self._latest:
            self._on_result(value)

    def _errored(self, request: int, exc: BaseException) -> None:
        if request == self._latest:
            self._on_error(str(exc) if isinstance(exc, ExplorerError)
                           else f"internal error: {type(exc).__name__}: {exc}")

    def _finished(self) -> None:
        self._worker = None
        self._start()
        if not self.busy:
            self.busy_changed.emit(False)


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

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.setObjectName("CompareWindow")
        self.setWindowTitle("Standard vs Depthwise-Separable")
        self._window = window
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
        self.standard = BlockColumn("Standard k×k conv")
        self.separable = BlockColumn("Depthwise k×k + pointwise 1×1")
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
        self._runner = _LatestRunner(self._on_result, self._on_error, self)
        self._runner.busy_changed.connect(self.busy_bar.setVisible)
        fit_to_screen(self, 1400, 860, within=window)
        self._fitted = False

    @property
    def busy(self) -> bool:
        """A measurement is running or waiting."""
        return self._runner.busy

    def open_for_selection(self) -> None:
        """Take the selected layer's input and settings, show the window, and run."""
        win = self._window
        layers = win.document.layers
        cost = win.controller.cost
        channels = [layer.input_shape[0] for layer in cost.layers] if cost is not None else []
        index = win.document.selected
        if cost is None or index >= len(cost.layers):
            index = -1
        first, c_out, k = compare_defaults(layers, index, channels)
        results = win.controller.results
        if first > 0 and first - 1 in results:
            self._input = np.array(results[first - 1].output)  # writable: torch wants it
            where = f"the input of layer {first + 1} (layer {first}'s output)"
        else:
            self._input = (None if win.controller.input_image is None
                           else np.array(win.controller.input_image))
            where = "the input image"
        shape = "?" if self._input is None else "×".join(map(str, self._input.shape))
        self.source.setText(f"Input: {where}, {shape} (C×H×W); stride 1, 'same' padding.")
        self.out_channels.setValue(c_out)
        self.kernel.setValue(k)
        if not self._fitted:  # the first time: never larger than the main window
            fit_to_screen(self, 1400, 860, within=win)
            self._fitted = True
        self.show()
        if QtGui.QGuiApplication.platformName() != "offscreen":
            self.raise_()
        self.run()

    def run(self) -> None:
        """Measure both blocks with the settings shown (on a worker thread)."""
        if self._input is None:
            self._on_error("no input yet: wait for the image to load")
            return
        self._runner.submit(compare_blocks, None, self.out_channels.value(), self.kernel.value(),
                            image=self._input, seed=self._window.document.scene.seed,
                            repeats=self.repeats.value())
        self.summary.setText("Measuring…")

    def _on_result(self, result: ComparisonResult) -> None:
        self.result, self.error = result, ""
        k = "×".join(map(str, result.standard.kernel_size))
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

    def __init__(self, window: MainWindow, repeats: int = 7) -> None:
        super().__init__(window)
        self._window = window
        self.repeats = repeats
        self.seconds: list[float] | None = None
        self.error = ""
        self._runner = _LatestRunner(self._on_result, self._on_error, self)
        window.controller.run_finished.connect(lambda *_: self._set_tip(FIRST_RUN_TIP))
        self._set_tip(FIRST_RUN_TIP)

    @property
    def busy(self) -> bool:
        return self._runner.busy

    def measure(self) -> None:
        """Time every layer on its real input (worker thread)."""
        c = self._window.controller
        if c.input_image is None or c.error is not None:
            self._window.statusBar().showMessage("Nothing to time: the stack has not run.", 8000)
            return
        self.seconds = None
        self._window.statusBar().showMessage("Measuring layer times…")
        self._runner.submit(time_layers, tuple(self._window.document.layers),
                            np.array(c.input_image), self._window.document.scene.seed,
                            repeats=self.repeats)

    def _on_result(self, seconds: list[float]) -> None:
        if len(seconds) != len(self._window.document.layers):
            return  # the stack changed meanwhile
        self.seconds, self.error = list(seconds), ""
        win = self._window
        win.timings = dict(enumerate(seconds))
        win.cost_view.set_timings(dict(win.timings))
        from ..core.run import pick_device

        self._set_tip(MEDIAN_TIP.format(repeats=self.repeats, device=pick_device()))
        win.statusBar().showMessage(f"Layer times: median of {self.repeats} runs "
                                    f"(total {sum(seconds) * 1e3:.2f} ms)", 10000)

    def _on_error(self, message: str) -> None:
        self.error = message
        self._window.statusBar().showMessage(message, 15000)

    def _set_tip(self, text: str) -> None:
        item = self._window.cost_view.table.horizontalHeaderItem(_TIME_COLUMN)
        if item is not None:
            item.setToolTip(text)

    def header_tip(self) -> str:
        item = self._window.cost_view.table.horizontalHeaderItem(_TIME_COLUMN)
        return "" if item is None else item.toolTip()


class CompareTools:
    """What :func:`install` returns: the comparison window and the layer timer.

    The window (two feature grids) is made on first use, not at start-up.
    """

    def __init__(self, window: MainWindow) -> None:
        self._main = window
        self._window: CompareWindow | None = None
        self.timer = LayerTimer(window)
        menu = window.actions.tools_menu
        self.compare_action = QtGui.QAction("&Compare Standard vs Separable…", window)
        self.compare_action.setShortcut(QtGui.QKeySequence("Ctrl+K"))
        self.compare_action.setStatusTip("Run the selected layer's input through a standard "
                                         "conv and a depthwise-separable one, and time both")
        self.compare_action.triggered.connect(lambda _=False: self.window.open_for_selection())
        self.measure_action = QtGui.QAction("&Measure Layer Times", window)
        self.measure_action.setStatusTip("Median forward time of each layer after warm-up")
        self.measure_action.triggered.connect(lambda _=False: self.timer.measure())
        for action in (self.compare_action, self.measure_action):
            window.addAction(action)
            menu.addAction(action)

    @property
    def window(self) -> CompareWindow:
        """The comparison window (made on first use)."""
        if self._window is None:
            self._window = CompareWindow(self._main)
        return self._window


def install(window: MainWindow) -> CompareTools:
    """Add Tools ▸ Compare Standard vs Separable… (Ctrl+K) and Tools ▸ Measure Layer Times."""
    return CompareTools(window)
