"""Conv Explorer: see what convolution layers do, with real numbers on your own images."""

from __future__ import annotations

import os

# torch's CPU allocator puts tensors of 2 MB or more on transparent huge pages when this is
# set (read at its first allocation; numpy does the same by itself). Without it, freeing a
# 1 GB result map unmapped 262,144 small pages while holding the interpreter lock: 84-123 ms
# with nothing else able to run, the GUI thread included (issue 16: the one-sample stalls
# after "input shape 2048" in the monkey); with it, 3.5 ms. Allocation + first fill of
# 1 GB went from 330 to 56 ms. A value the user set is kept.
os.environ.setdefault("THP_MEM_ALLOC_ENABLE", "1")

__all__ = ["__version__"]


def __getattr__(name: str) -> str:
    # importlib.metadata takes ≈ 40 ms to import: looked up when asked, not at start-up
    if name == "__version__":
        from importlib.metadata import PackageNotFoundError, version

        try:
            value = version("conv-explorer")
        except PackageNotFoundError:  # running from a source tree that is not installed
            value = "0.0.0+unknown"
        globals()["__version__"] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
