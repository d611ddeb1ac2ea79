"""Placeholder: being written (see explorer/ui/tools.py)."""


def install(window):
    return None
