"""Subcommands of ``conv-explorer``, one module each (``add_parser(subparsers)`` and
``run(args) -> int``), registered in :mod:`explorer.cli`."""

from __future__ import annotations

import argparse

__all__ = ["positive_int"]


def positive_int(text: str) -> int:
    """An ``argparse`` type: an integer ≥ 1."""
    if not (text.isdigit() and int(text) >= 1):
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text!r}")
    return int(text)
