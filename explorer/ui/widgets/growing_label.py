"""A word-wrapped label whose height only grows while its texts keep coming (issue 16).

The layer editor's formula changes on every edit. One line shorter or longer, the label
changed the editor's height, and the editor's scroll area laid the whole form out again
(≈ 60 widgets resized, 11 ms, in the edit's turn) on edits such as toggling the bias back
and forth. :class:`GrowingLabel` keeps its minimum height at the tallest text shown since
:meth:`~GrowingLabel.reset` (another layer selected) or since its width last changed (a
dock resized, a font scaled): a shorter text then resizes nothing, a longer one once.
"""

from __future__ import annotations

from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QLabel, QWidget

__all__ = ["GrowingLabel"]


class GrowingLabel(QLabel):
    """A word-wrapped :class:`QLabel` that does not shrink between :meth:`reset` calls."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWordWrap(True)

    def set_text(self, text: str) -> None:
        """Show ``text``; the label grows to fit it but keeps a taller height it had."""
        self.setText(text)
        width = self.width()
        if self.isVisible() and width > 0:
            needed = self.heightForWidth(width)
            if needed > self.minimumHeight():
                self.setMinimumHeight(needed)

    def reset(self) -> None:
        """Forget the heights of earlier texts (the label fits its current text)."""
        if self.minimumHeight():
            self.setMinimumHeight(0)

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 (Qt naming)
        """A new width wraps differently: the heights kept no longer apply."""
        super().resizeEvent(event)
        if event.oldSize().width() != event.size().width():
            self.reset()
