"""Conv Explorer: see what convolution layers do, with real numbers on your own images."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("conv-explorer")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
