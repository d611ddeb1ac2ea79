"""Conv Explorer: see what convolution layers do, with real numbers on your own images."""

from __future__ import annotations

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
