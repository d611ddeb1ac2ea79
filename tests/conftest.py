"""Shared test set-up: no display needed, and no Qt in the core tier."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("CONV_EXPLORER_NO_SETTINGS", "1")

import gc

import pytest


@pytest.fixture(autouse=True)
def _collect_garbage_on_the_main_thread():
    """Once a window exists, automatic garbage collection is off (explorer/ui/state/gc_policy.py)
    and a GUI-thread timer collects; between tests nothing spins the event loop, so collect
    here, on the main thread, before the next test's workers start."""
    yield
    if not gc.isenabled():
        gc.unfreeze()  # what the app froze (gc_policy) is collectable again between tests
        gc.collect()
