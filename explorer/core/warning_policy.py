"""The warnings the program ignores, installed once, on the main thread, at start-up.

``warnings.catch_warnings`` swaps process-global state and is not safe on a worker thread
(two overlapping workers can leave the filters changed for good), so worker code never
uses it. The few library warnings that say nothing to a user of this program are ignored
here instead, by :func:`install_warning_filters`, which the entry point calls before any
worker exists; the test configuration (``[tool.pytest.ini_options] filterwarnings`` in
``pyproject.toml``) lists the same filters, and a test checks that the two agree.
"""

from __future__ import annotations

import warnings

__all__ = ["PYTEST_FILTERS", "install_warning_filters"]

#: ``(message regex, category)`` of each ignored warning. Categories are builtin ones, so
#: that start-up imports no library (Pillow's DecompressionBombWarning is a RuntimeWarning).
_IGNORED: tuple[tuple[str, type[Warning]], ...] = (
    # Pillow warns above its own pixel limit; images.py refuses above a lower one itself.
    (r"Image size \(\d+ pixels\) exceeds limit", RuntimeWarning),
)

#: The same filters in pytest's ``filterwarnings`` syntax (``action:message:category``).
PYTEST_FILTERS = tuple(f"ignore:{m}:{c.__name__}" for m, c in _IGNORED)


def install_warning_filters() -> None:
    """Ignore the warnings of :data:`PYTEST_FILTERS` (call on the main thread, at start-up)."""
    for message, category in _IGNORED:
        warnings.filterwarnings("ignore", message=message, category=category)
