"""Colour maps and colour levels shared by the plotting views.

The views never colour-map in Python: they hand an :class:`~pyqtgraph.ImageItem` a
256-entry lookup table and ``(low, high)`` levels, and pyqtgraph maps the data when it
paints. This module says which table and which levels.

Names
-----
``viridis``
    Sequential, perceptually uniform, colour-blind safe; the default for feature maps.
``cividis``
    Sequential, designed for colour-vision deficiency.
``gray``
    Black to white; natural for image channels.
``magma``
    Sequential, dark to light.
``diverging``
    Blue–white–red (CET-D1), centred on zero when the data has both signs; the default
    for weights.
``diverging-cb``
    Blue–grey–yellow (CET-CBD1), a diverging map safe for red–green colour blindness.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pyqtgraph as pg

from explorer.core.analysis.map_ranges import ChannelRanges, channel_ranges

__all__ = [
    "COLORMAPS",
    "DEFAULT_COLORMAP",
    "DEFAULT_WEIGHT_COLORMAP",
    "channel_levels",
    "colormap",
    "is_diverging",
    "lookup_table",
    "symmetric_levels",
]

#: Display name of each colour map, in menu order.
COLORMAPS: dict[str, str] = {
    "viridis": "viridis",
    "cividis": "cividis (colour-blind safe)",
    "gray": "grayscale",
    "magma": "magma",
    "diverging": "blue–white–red (diverging)",
    "diverging-cb": "blue–yellow (diverging, colour-blind safe)",
}
DEFAULT_COLORMAP = "viridis"
DEFAULT_WEIGHT_COLORMAP = "diverging"

_SOURCES = {
    "viridis": "viridis",
    "cividis": "cividis",
    "magma": "magma",
    "diverging": "CET-D1",
    "diverging-cb": "CET-CBD1",
}
_DIVERGING = frozenset({"diverging", "diverging-cb"})


def _check(name: str) -> None:
    if name not in COLORMAPS:
        raise ValueError(f"unknown colour map {name!r}; expected one of {', '.join(COLORMAPS)}")


@cache
def colormap(name: str) -> pg.ColorMap:
    """The :class:`pyqtgraph.ColorMap` called ``name`` (one of :data:`COLORMAPS`)."""
    _check(name)
    if name == "gray":
        return pg.ColorMap(pos=[0.0, 1.0], color=[(0, 0, 0), (255, 255, 255)], name="gray")
    return pg.colormap.get(_SOURCES[name])


@cache
def lookup_table(name: str) -> np.ndarray:
    """A read-only ``(256, 3)`` uint8 lookup table for ``ImageItem.setLookupTable``."""
    lut = np.ascontiguousarray(colormap(name).getLookupTable(nPts=256, alpha=False), np.uint8)
    lut.setflags(write=False)
    return lut


def is_diverging(name: str) -> bool:
    """Whether ``name`` is a diverging map (its middle colour means zero)."""
    _check(name)
    return name in _DIVERGING


def _widen(low: np.ndarray, high: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Give constant data a non-empty range so that it maps to the middle colour."""
    flat = ~(high > low)
    if np.any(flat):
        pad = np.where(low[flat] == 0, 0.5, np.abs(low[flat]) * 0.5)
        low = low.astype(np.float64)
        high = high.astype(np.float64)
        low[flat] -= pad
        high[flat] += pad
    return low, high


def channel_levels(
    maps: np.ndarray | None,
    *,
    per_channel: bool,
    diverging: bool,
    ranges: ChannelRanges | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Colour levels for a ``(C, H, W)`` stack of maps.

    Parameters
    ----------
    maps
        The data, float (not read when ``ranges`` is given).
    per_channel
        ``False``: one ``(min, max)`` over every channel (a shared scale, so channels can be
        compared); ``True``: each channel its own ``(min, max)``.
    diverging
        For a diverging map, levels are ``±max|x|`` (centred on zero) wherever the data
        has both signs; data of one sign keeps its own ``(min, max)``.
    ranges
        :func:`~explorer.core.analysis.map_ranges.channel_ranges` of ``maps`` when already
        known (the run computes them on the worker): the levels then cost O(C).

    Returns
    -------
    levels : np.ndarray
        ``(C, 2)`` float64 levels, one row per channel (every row equal when shared).
        NaN and infinite values are ignored; a constant channel gets a range around its
        value so that it shows in the middle colour.
    finite : np.ndarray
        ``(C,)`` bool: the channel holds only finite values.
    """
    if ranges is None:
        ranges = channel_ranges(maps)
    c = len(ranges.finite)
    low, high = ranges.low_high[:, 0], ranges.low_high[:, 1]
    if not ranges.finite.all():  # a channel with nothing finite: around 0 (see _widen)
        low, high = np.nan_to_num(low, nan=0.0), np.nan_to_num(high, nan=0.0)
    if not per_channel:
        low = np.full(c, low.min())
        high = np.full(c, high.max())
    if diverging:
        both = (low < 0) & (high > 0)
        bound = np.maximum(np.abs(low), np.abs(high))
        low = np.where(both, -bound, low)
        high = np.where(both, bound, high)
    low, high = _widen(low, high)
    return np.stack([low, high], axis=1), ranges.finite.copy()


def symmetric_levels(values: np.ndarray) -> tuple[float, float]:
    """``(-m, m)`` with ``m = max|values|`` over the finite values (``(-1, 1)`` if all zero)."""
    if values.size == 0:
        return -1.0, 1.0
    # two passes without copies; the masked copy only when something is not finite
    m = max(abs(float(np.max(values))), abs(float(np.min(values))))
    if not np.isfinite(m):
        finite = values[np.isfinite(values)]
        m = float(np.abs(finite).max()) if finite.size else 0.0
    if m == 0.0:
        m = 1.0
    return -m, m
