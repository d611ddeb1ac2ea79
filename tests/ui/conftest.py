"""Fixtures shared by the widget tests (pytest-qt's ``qtbot`` does the Qt set-up)."""

from __future__ import annotations

import numpy as np
import pytest


@pytest.fixture
def rng() -> np.random.Generator:
    """A seeded random generator, so every run draws the same arrays."""
    return np.random.default_rng(1234)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Qt's offscreen platform warns whenever a shown window's minimum size changes
    ("This plugin does not support propagateSizeHints()"); that says nothing about our
    code, so it must not fail tests that run with ``qt_log_level_fail = WARNING``."""
    ignore = pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints")
    for item in items:
        if "tests/ui/" in item.nodeid.replace("\\", "/"):
            item.add_marker(ignore)
