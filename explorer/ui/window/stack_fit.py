"""How the Stack dock shares its height between the layer list and the layer editor."""

from __future__ import annotations

from PySide6.QtWidgets import QSplitter, QWidget

__all__ = ["share_stack_height"]


def share_stack_height(splitter: QSplitter, layer_panel: QWidget, editor: QWidget) -> None:
    """Give the editor (the splitter's third part, in a scroll area) the height it needs and
    the layer list (the second) the rest, never less than its minimum (8 rows): a long
    imported model shows more rows wherever the screen has room, and on a low screen the
    editor scrolls rather than the list shrinking."""
    heights = splitter.sizes()
    if len(heights) != 3 or heights[2] <= 0:
        return  # the editor is hidden, or nothing is laid out yet
    room = heights[1] + heights[2]
    need = editor.sizeHint().height() + 8
    share = min(need, room - layer_panel.minimumSizeHint().height())
    if 0 < share < room:
        splitter.setSizes([heights[0], room - share, share])
