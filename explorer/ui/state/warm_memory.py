"""Memory for the next result, touched before the edit that needs it.

A layer's output is new memory: the per-layer cache keeps every result, so the next run
cannot reuse the last one's buffer, and the first write to each fresh 4 KiB page is a page
fault in which the kernel zeroes it. On the default scene a 1×1 edit writes a 16×256×256
output (4–10 MB); the faults took ≈ 1–1.5 ms of a ≈ 2.5 ms convolution (measured: the same
convolution into memory used before took ≈ 1 ms).

:class:`WarmMemory` moves that cost out of the edit: after a run on the GUI thread, once the
window has painted, :meth:`WarmMemory.warm` writes to a block as large as the next result is
likely to be and frees it again (the controller writes it a slice per turn of the event
loop: :meth:`WarmMemory.start`, :meth:`WarmMemory.step`). With glibc told to keep such blocks in the heap
(``mallopt``: blocks up to 32 MiB are not given their own ``mmap``, and up to 64 MiB of free
memory at the top of the heap is not handed back), the next output is cut from those
already-touched pages. Only on Linux with glibc and only for the thread that calls it (the
GUI thread, where tiny runs happen: :mod:`explorer.ui.state.inline_runs`); elsewhere it
does nothing. Memory: at most :data:`MAX_WARM_BYTES` more stays resident, the same memory the
next results take anyway.
"""

from __future__ import annotations

import ctypes
import sys

import numpy as np

__all__ = ["MAX_WARM_BYTES", "WARM_SLICE_BYTES", "WarmMemory"]

#: Largest block warmed (and kept by glibc below its ``mmap`` threshold).
MAX_WARM_BYTES = 32 * 1024**2
#: Bytes written per call of :meth:`WarmMemory.step` (one turn of the event loop): writing
#: all 32 MiB at once held the GUI thread 33 ms after a preset (issue 16); 4 MiB is ~2-4 ms.
WARM_SLICE_BYTES = 4 * 1024**2
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3


def _glibc() -> ctypes.CDLL | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.gnu_get_libc_version.restype = ctypes.c_char_p
        libc.gnu_get_libc_version()  # musl has no such function: AttributeError
    except (OSError, AttributeError):
        return None
    return libc


class WarmMemory:
    """Pages written once before a run needs them (see the module docstring).

    Parameters
    ----------
    enabled
        ``False`` makes :meth:`warm` do nothing (and leaves glibc's settings alone).
    """

    def __init__(self, *, enabled: bool = True) -> None:
        self._libc = _glibc() if enabled else None
        if self._libc is not None:
            ok = self._libc.mallopt(_M_MMAP_THRESHOLD, MAX_WARM_BYTES) and self._libc.mallopt(
                _M_TRIM_THRESHOLD, 2 * MAX_WARM_BYTES
            )
            if not ok:
                self._libc = None
        self.warmed_bytes = 0  # the last block written (for tests and benchmarks)
        self._block: np.ndarray | None = None  # the block being written, a slice a step
        self._written = 0

    @property
    def active(self) -> bool:
        """Whether warming has an effect here (Linux with glibc)."""
        return self._libc is not None

    def warm(self, nbytes: int) -> None:
        """Write to a block of ``nbytes`` (at most :data:`MAX_WARM_BYTES`) and free it."""
        self.start(nbytes)
        while self.step():
            pass

    def start(self, nbytes: int) -> bool:
        """Take a block of ``nbytes`` (at most :data:`MAX_WARM_BYTES`) to be written by
        :meth:`step`, a slice a call; ``False`` when there is nothing to do."""
        self.cancel()
        nbytes = min(int(nbytes), MAX_WARM_BYTES)
        if self._libc is None or nbytes <= 0:
            return False
        self._block = np.empty(nbytes, np.uint8)  # not written yet: no page touched
        self._written = 0
        return True

    def step(self) -> bool:
        """Write the next :data:`WARM_SLICE_BYTES` of the block; ``True`` while more is
        left. The last slice frees the block (its pages stay in the heap, written)."""
        block = self._block
        if block is None:
            return False
        end = min(self._written + WARM_SLICE_BYTES, block.size)
        block[self._written : end].fill(0)  # np.zeros could map zero pages: write each
        self._written = end
        if end < block.size:
            return True
        self._block = None
        del block
        self.warmed_bytes = end
        return False

    def cancel(self) -> None:
        """Drop a block being written (a run started: it takes the memory itself)."""
        self._block = None

    @property
    def warming(self) -> bool:
        """Whether a block is being written (slices left)."""
        return self._block is not None
