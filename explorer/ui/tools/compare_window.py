"""Tools ▸ Compare Standard vs Separable….

The comparison takes the selected layer's input and runs the layer **as it is** (stride,
padding, dilation, bias, BatchNorm, activation; :func:`explorer.core.compute.compare.plan_comparison`)
against the matching standard conv (:func:`explorer.core.compute.compare.compare_specs`), then shows a few feature maps of each, their
params, MACs, FLOPs and **measured** forward time, the formula ratio 1/C_out + 1/k², and a
sentence that says whether the saved arithmetic became saved time on this machine. Both
sides share one colour scale, so equal values look equal. Per-layer times of the stack are
measured by :mod:`explorer.ui.tools.layer_timing` with the same core code.

Timing runs on a worker thread (never the GUI thread), latest wins
(:class:`~explorer.ui.state.runner.LatestRunner`, the controller's runner too): asking again while
a measurement runs queues the new one and drops the old result.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from PySide6 import QtCore, QtGui, QtWidgets

from explorer.core.analysis.compare_plan import ComparisonPlan, plan_comparison
from explorer.core.errors import ExplorerError
from explorer.core.model.specs import LayerSpec
from explorer.core.text import shape_text
from explorer.ui.state.runner import LatestRunner
from explorer.ui.tools.compare_plots import BlockColumn, ratio_lines, shared_levels
from explorer.ui.widgets.screen_fit import fit_to_screen

if TYPE_CHECKING:
    from explorer.core.compute.compare import ComparisonResult
    from explorer.ui.tools.host import ToolHost

__all__ = ["CompareWindow", "compare_defaults", "install"]

#: Each column's grid is made by a timer of this many milliseconds: a real timer, so the
#: window's first paint and the heartbeat of the event loop come between the two (two
#: ``singleShot(0)`` calls are posted events, run back to back in one pass: a 20-66 ms turn
#: the first time the window opened, ``benchmarks/bench_first_use.py``).
_BUILD_NEXT_MS = 1


def compare_specs(*args: Any, **kwargs: Any) -> ComparisonResult:
    """:func:`explorer.core.compute.compare.compare_specs`, importing torch only when called."""
    from explorer.core.compute.compare import compare_specs as run

    return run(*args, **kwargs)


class _Measurements(QtCore.QObject):
    """A :class:`LatestRunner` that calls back with the latest result or a one-line error."""

    busy_changed = QtCore.Signal(bool)

    def __init__(
        self,
        on_result: Callable[[Any], None],
        on_error: Callable[[str], None],
        parent: QtCore.QObject,
    ) -> None:
        super().__init__(parent)
        self._runner = LatestRunner(self)
        self._runner.returned.connect(lambda _rev, value: on_result(value))
        self._runner.errored.connect(
            lambda _rev, exc: on_error(
                str(exc)
                if isinstance(exc, ExplorerError)
                else f"internal error: {type(exc).__name__}: {exc}"
            )
        )
        self._runner.busy_changed.connect(self.busy_changed)

    @property
    def busy(self) -> bool:
        return self._runner.busy

    def submit(self, func: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        self._runner.submit(func, *args, **kwargs)


def compare_defaults(
    layers: Sequence[LayerSpec], index: int, in_channels: Sequence[int]
) -> tuple[int, int, int]:
    """``(input layer, out_channels, kernel size)`` of :func:`plan_comparison` for the
    selected layer (-1: none selected, use the image)."""
    c_in = in_channels[index] if 0 <= index < len(in_channels) else 3
    plan = plan_comparison(layers, index, c_in)
    return plan.first, plan.standard.out_channels, plan.standard.kernel_size[0]


class CompareWindow(QtWidgets.QDialog):
    """Standard k×k conv vs depthwise + pointwise on the selected layer's input."""

    def __init__(self, host: ToolHost) -> None:
        super().__init__(host.widget)
        self.setObjectName("CompareWindow")
        self.setWindowTitle("Standard vs Depthwise-Separable")
        self._host = host
        self.result: ComparisonResult | None = None
        self.plan: ComparisonPlan = plan_comparison((), -1, 3)
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
        for widget in (
            self.out_channels,
            self.kernel,
            self.repeats,
            self.run_button,
            self.busy_bar,
        ):
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
            "MACs: multiply-accumulates of the convolutions only (bias, BatchNorm and "
            "activation excluded); FLOPs = 2 × MACs. Both sides use one colour scale. Times: "
            "median of the timed runs after 2 warm-ups, alternating the two sides; ± is half "
            "the interquartile range.",
            wordWrap=True,
        )
        layout = QtWidgets.QVBoxLayout(self)
        layout.addWidget(self.source)
        layout.addLayout(controls)
        layout.addLayout(columns, 1)
        layout.addWidget(self.ratios)
        layout.addWidget(self.summary)
        layout.addWidget(note)
        self._runner = _Measurements(self._on_result, self._on_error, self)
        self._runner.busy_changed.connect(self.busy_bar.setVisible)
        fit_to_screen(self, 1400, 860, within=host.widget)
        self._fitted = False

    @property
    def busy(self) -> bool:
        """A measurement is running or waiting."""
        return self._runner.busy

    def open_for_selection(self) -> None:
        """Take the selected layer's input and settings, show the window, and run."""
        host = self._host
        layers, state = host.document.layers, host.run.state
        index = host.selection
        # the selected layer's own cost and its input layer's own result (by identity, so
        # after a move, insert or delete never another layer's)
        cost = state.cost(layers[index]) if 0 <= index < len(layers) else None
        if cost is None:
            index = -1
        c_in = cost.input_shape[0] if cost is not None else 3
        self.plan = plan = plan_comparison(layers, index, c_in)
        first, c_out, k = plan.first, plan.standard.out_channels, plan.standard.kernel_size[0]
        before = state.result(layers[first - 1]) if first > 0 else None
        if before is not None:
            self._input = np.array(before.output)  # writable: torch wants it
            where = f"the input of layer {first + 1} (layer {first}'s output)"
        else:
            self._input = None if host.run.input_image is None else np.array(host.run.input_image)
            where = "the input image"
        shape = "?" if self._input is None else shape_text(self._input.shape)
        self.source.setText(f"Input: {where}, {shape} (C×H×W). Compared: {plan.description}.")
        self.out_channels.setValue(c_out)
        self.kernel.setValue(k)
        if not self._fitted:  # the first time: never larger than the main window
            fit_to_screen(self, 1400, 860, within=host.widget)
            self._fitted = True
        self.show()
        if QtGui.QGuiApplication.platformName() != "offscreen":
            self.raise_()
        self.run()

    def showEvent(self, event: QtGui.QShowEvent) -> None:  # noqa: N802 (Qt naming)
        """Make the columns' plots in the next event-loop turns (not before the first paint)."""
        super().showEvent(event)
        if not (self.standard.built and self.separable.built):
            QtCore.QTimer.singleShot(_BUILD_NEXT_MS, self, self._build_next)

    def _build_next(self) -> None:
        """Make one column's grid, then come back on the next turn for the other (each takes
        tens of ms; a result that comes first makes its grid at once)."""
        for column in (self.standard, self.separable):
            if not column.built:
                column.build()
                QtCore.QTimer.singleShot(_BUILD_NEXT_MS, self, self._build_next)
                return

    def run(self) -> None:
        """Measure both blocks with the settings shown (on a worker thread)."""
        if self._input is None:
            self._on_error("no input yet: wait for the image to load")
            return
        plan = self.plan
        c_out, k = self.out_channels.value(), self.kernel.value()
        if (c_out, k) != (plan.standard.out_channels, plan.standard.kernel_size[0]):
            plan = plan.with_changes(c_out, k)
        self._runner.submit(
            compare_specs,
            plan.standard,
            plan.separable,
            self._input,
            seed=self._host.document.scene.seed,
            repeats=self.repeats.value(),
            first_index=plan.first,
        )
        self.summary.setText("Measuring…")

    def _on_result(self, result: ComparisonResult) -> None:
        self.result, self.error = result, ""
        k = shape_text(result.standard.kernel_size)
        self.standard.setTitle(f"Standard {k} conv → {result.standard.out_channels} channels")
        self.separable.setTitle(
            f"Depthwise {k} + pointwise 1×1 → {result.separable.out_channels} channels"
        )
        levels = shared_levels(
            result.standard_output, result.separable_output, self.standard.grid.colormap_name
        )
        self.standard.show_block(
            result.standard_output,
            result.standard_cost,
            result.standard_timing,
            "standard output",
            levels,
        )
        self.separable.show_block(
            result.separable_output,
            result.separable_cost,
            result.separable_timing,
            "separable output",
            levels,
        )
        self.ratios.setText("\n".join(ratio_lines(result)))
        self.summary.setText(result.summary)

    def _on_error(self, message: str) -> None:
        self.result, self.error = None, message
        self.summary.setText(message)
        self.ratios.setText("")
        for column in (self.standard, self.separable):
            column.clear(message)


class CompareTools:
    """What :func:`install` returns: the comparison window.

    The window (two feature grids) is made on first use, not at start-up.
    """

    def __init__(self, host: ToolHost) -> None:
        self._host = host
        self._window: CompareWindow | None = None
        self.compare_action = QtGui.QAction("&Compare Standard vs Separable…", host.widget)
        self.compare_action.setShortcut(QtGui.QKeySequence("Ctrl+K"))
        self.compare_action.setStatusTip(
            "Run the selected layer's input through a standard "
            "conv and a depthwise-separable one, and time both"
        )
        self.compare_action.triggered.connect(lambda _=False: self.window.open_for_selection())
        host.add_action(self.compare_action, "tools")

    @property
    def window(self) -> CompareWindow:
        """The comparison window (made on first use)."""
        if self._window is None:
            self._window = CompareWindow(self._host)
        return self._window


def install(host: ToolHost) -> CompareTools:
    """Add Tools ▸ Compare Standard vs Separable… (Ctrl+K)."""
    return CompareTools(host)
