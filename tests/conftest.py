"""Shared test set-up: no display needed, and no Qt in the core tier."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("CONV_EXPLORER_NO_SETTINGS", "1")
