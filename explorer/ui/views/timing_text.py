"""How measured times are written in the cost table: ``"1.02 ±0.04"`` (median ± half the
interquartile range, in ms) and the sentence under the table that says how they were
measured (:mod:`explorer.core.compute.timing`)."""

from __future__ import annotations

from collections.abc import Mapping

from PySide6 import QtCore, QtWidgets

from explorer.core.compute.timing import Timing, method_text

__all__ = ["MEASURING", "TimingRow", "median_of", "time_cell", "timing_note"]

MEASURING = "Time (ms): measuring warm per-layer times…"
_NOTE = (
    "Time (ms): warm — each layer on its real input, {method}; ± is half the "
    "interquartile range (the middle half of the runs). Fewer FLOPs is not always "
    "less time (depthwise and 1×1 layers are often memory-bound)."
)


def median_of(timing: float | Timing | None) -> float | None:
    """Seconds: a :class:`Timing`'s median, or the number itself."""
    return timing.median if isinstance(timing, Timing) else timing


def time_cell(timing: float | Timing | None, measuring: bool) -> tuple[str, float | None, str]:
    """``(text, milliseconds to sort by, tooltip)`` of one cell of the time column."""
    if timing is None:
        return ("…" if measuring else "—"), None, ""
    if not isinstance(timing, Timing):
        return f"{timing * 1000:.2f}", timing * 1000, "one timed run"
    q1, q3 = timing.quartiles
    return (
        f"{timing.median * 1000:.2f} ±{(q3 - q1) * 500:.2f}",
        timing.median * 1000,
        timing.text(),
    )


def timing_note(timings: Mapping[int, float | Timing], measuring: bool, complete: bool) -> str:
    """The sentence under the table."""
    if measuring or not complete:
        return MEASURING
    timing = next((t for t in timings.values() if isinstance(t, Timing)), None)
    return _NOTE.format(method=method_text(timing) if timing is not None else "one timed run")


class TimingRow(QtWidgets.QWidget):
    """The sentence under the cost table and its "Re-measure" button.

    Signals
    -------
    remeasure_requested()
        The button was pressed.
    """

    remeasure_requested = QtCore.Signal()

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.note = QtWidgets.QLabel(MEASURING, wordWrap=True)
        font = self.note.font()
        font.setPointSizeF(font.pointSizeF() * 0.9)
        self.note.setFont(font)
        self.button = QtWidgets.QPushButton("Re-measure")
        self.button.setToolTip(
            "Time every layer again: warm-up runs, then the median of several timed runs"
        )
        self.button.clicked.connect(self.remeasure_requested)
        row = QtWidgets.QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.note, 1)
        row.addWidget(self.button, 0, QtCore.Qt.AlignmentFlag.AlignTop)
