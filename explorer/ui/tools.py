"""The teaching and presentation tools, each installed into the main window by its module.

Each module in :data:`TOOLS` has ``install(window) -> object``: it adds its docks, menus
(``window.actions.layer_menu``, ``tools_menu``, ``view_menu``, ``file_menu``,
``edit_menu``) and shortcuts, and returns the object that owns them (tests reach it as
``window.tools[name]``). The main window knows nothing else about them.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .main_window import MainWindow

__all__ = ["TOOLS", "install_tools"]

TOOLS = (
    "inspector_dock",
    "compare_window",
    "layer_timing",
    "stale_marker",
    "tool_counts_view",
    "wiring_view",
    "weight_tools",
    "presentation",
    "slides",
    "export",
)


def install_tools(window: MainWindow) -> dict[str, object]:
    """Install every tool into ``window``; returns them by module name."""
    tools = {}
    for name in TOOLS:
        module = importlib.import_module(f".{name}", __package__)
        tools[name] = module.install(window)
    return tools
