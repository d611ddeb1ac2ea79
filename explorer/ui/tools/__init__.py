"""The teaching and presentation tools, each installed into the main window by its module.

Each module in :data:`TOOLS` has ``install(host) -> object``, where ``host`` is a
:class:`~explorer.ui.tools.host.ToolHost` (the narrow interface of the window: docks, named
menus, status messages, the document, the run state, settings, the views' extension
points). It adds its docks, menu entries and shortcuts through the host and returns the
object that owns them (tests reach it as ``window.tools[name]``). The main window knows
nothing else about the tools, and the tools know nothing of the main window.

Transition: a tool whose ``install`` parameter is still called ``window`` (written before
the host existed) is given ``host.widget``, the main window itself, as before; port it to
``install(host: ToolHost)``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from explorer.ui.tools.host import ToolHost

__all__ = ["TOOLS", "TOOL_NAMES", "install_tools"]

TOOLS = (
    "inspector_dock",
    "compare_window",
    "layer_timing",
    "stale_marker",
    "tool_counts_view",
    "wiring_view",
    "weights.weight_tools",
    "present.presentation",
    "present.slides",
    "present.export",
    "walkthrough.walkthrough_dock",
    "models.model_import",
    "fit.fit_dock",
)
#: The name each tool is known by (``window.tools[name]``, ``host.tool(name)``): the
#: last part of its module path.
TOOL_NAMES = tuple(path.rpartition(".")[2] for path in TOOLS)


def install_tools(host: ToolHost, names: tuple[str, ...] = TOOLS) -> dict[str, object]:
    """Install the tools ``names`` (module paths below this package; all by default) through
    ``host``; returns them by name (the last part of the path)."""
    tools = {}
    for name in names:
        module = importlib.import_module(f".{name}", __package__)
        tools[name.rpartition(".")[2]] = module.install(host)
    return tools
