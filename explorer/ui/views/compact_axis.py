"""A pyqtgraph axis for counts: ``8.39 M`` tick labels that never overlap, no SI factor."""

from __future__ import annotations

from PySide6 import QtGui

from explorer.ui.views.quick_axis import QuickAxis
from explorer.ui.widgets.plot_utils import compact

__all__ = ["CompactAxis"]


class CompactAxis(QuickAxis):
    """Tick labels like ``8.39 M`` instead of ``8388608``."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.enableAutoSIPrefix(False)  # the labels carry k / M / G: never "(x1e+09)"

    def tickStrings(self, values, scale, spacing):  # noqa: N802 - pyqtgraph hook
        return [compact(int(round(v * scale))) for v in values]

    def tickValues(self, minVal, maxVal, size):  # noqa: N802 - pyqtgraph hook
        """Major ticks only, as many as fit with a gap between their labels."""
        levels = super().tickValues(minVal, maxVal, size)
        if not levels:
            return levels
        spacing, values = levels[0]
        widest = max((self._label_width(v) for v in values), default=0)
        room = max(1, int(size // (widest + 16))) if widest else len(values)
        step = 1
        while len(values[::step]) > room:
            step += 1
        return [(spacing * step, values[::step])]

    def _label_width(self, value: float) -> int:
        font = self.style.get("tickFont") or QtGui.QFont()
        return QtGui.QFontMetrics(font).horizontalAdvance(compact(int(round(value))))
