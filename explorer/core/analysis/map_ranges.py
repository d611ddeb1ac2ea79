"""Per-channel ``(min, max)`` of a ``(C, H, W)`` stack of maps, ignoring NaN and infinities.

The run computes these on the worker thread for every output and part it yields
(:attr:`explorer.core.compute.run.LayerResult.ranges`), so the feature grid's colour levels
cost the GUI thread O(C) instead of two passes over every value (64×512×512 floats: tens
of ms).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

__all__ = ["ChannelRanges", "channel_ranges"]


class ChannelRanges(NamedTuple):
    """Per-channel value ranges of a ``(C, H, W)`` stack.

    Attributes
    ----------
    low_high
        ``(C, 2)`` float64: row ``c`` is ``(min, max)`` over the finite values of channel
        ``c``; ``(nan, nan)`` when the channel has no finite value.
    finite
        ``(C,)`` bool: the channel holds only finite values.
    """

    low_high: np.ndarray
    finite: np.ndarray


def channel_ranges(maps: np.ndarray) -> ChannelRanges:
    """Each channel's smallest and largest finite value, and whether all are finite.

    Parameters
    ----------
    maps
        ``(C, H, W)`` (or ``(C, N)``) numeric array; a ``(H, W)`` array is one channel.

    Returns
    -------
    ChannelRanges
        Read-only arrays (safe to share between threads).
    """
    maps = np.asarray(maps)
    if maps.ndim == 2:
        maps = maps[None]
    c = maps.shape[0]
    flat = maps.reshape(c, -1)
    low = flat.min(axis=1).astype(np.float64)
    high = flat.max(axis=1).astype(np.float64)
    # only the channels that hold a NaN or an infinity, one at a time: a masked copy of the
    # whole stack (64×512×512) and nanmin over it took 0.2 s
    finite = np.isfinite(low) & np.isfinite(high)
    for ch in np.flatnonzero(~finite):
        row = flat[ch]
        ok = np.isfinite(row)
        if ok.any():
            low[ch] = np.min(row, where=ok, initial=np.inf)
            high[ch] = np.max(row, where=ok, initial=-np.inf)
        else:
            low[ch] = high[ch] = np.nan
    low_high = np.stack([low, high], axis=1)
    low_high.flags.writeable = False
    finite.flags.writeable = False
    return ChannelRanges(low_high, finite)
