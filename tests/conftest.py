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


def pytest_sessionfinish(session, exitstatus):
    """Delete now the widgets the last test's teardown closed (pytest-qt calls ``deleteLater``,
    which waits for an event loop that never comes): left alive, PySide's exit clean-up
    deletes them on a half-finalized interpreter, which could end the process with a
    segmentation fault after every test passed (docs/robustness.md, "s9d")."""
    import sys

    if "PySide6.QtCore" not in sys.modules:  # the core tier never imports Qt
        return
    from PySide6.QtCore import QCoreApplication, QEvent

    if QCoreApplication.instance() is not None:
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
