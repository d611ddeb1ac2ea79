"""Table cells written only when what they show changes (no new item, no repaint)."""

from __future__ import annotations

from PySide6 import QtCore, QtWidgets

from explorer.ui.widgets.plot_utils import compact

__all__ = ["NUMBER_ROLE", "CellWriter", "cell"]

#: The item data role that holds a cell's number (for sorting, tests, copying).
NUMBER_ROLE = QtCore.Qt.ItemDataRole.UserRole

Cell = tuple[str, "float | None", bool, "str | None"]


def cell(
    text: str, number: float | None = None, bold: bool = False, tip: str | None = None
) -> Cell:
    """What one cell shows: ``(text, number, bold, tooltip)``; a large integer gets its
    compact form as the tooltip unless ``tip`` is given."""
    if tip is None and isinstance(number, int) and number >= 1000:
        tip = f"{text} ≈ {compact(number)}"
    return (text, number, bold, tip)


class CellWriter:
    """Writes :func:`cell` values into ``table``, skipping cells that already show them."""

    def __init__(self, table: QtWidgets.QTableWidget) -> None:
        self.table = table
        self._cells: dict[tuple[int, int], Cell] = {}

    def set_rows(self, rows: int) -> None:
        """Make the table ``rows`` rows long."""
        if self.table.rowCount() != rows:
            self.table.setRowCount(rows)
            self._cells = {k: v for k, v in self._cells.items() if k[0] < rows}

    def put(self, row: int, column: int, value: Cell) -> bool:
        """Show ``value`` at ``(row, column)``; returns whether the cell changed."""
        if self._cells.get((row, column)) == value and self.table.item(row, column) is not None:
            return False
        text, number, bold, tip = value
        item = QtWidgets.QTableWidgetItem(text)
        if number is not None:
            item.setData(NUMBER_ROLE, number)
            item.setTextAlignment(
                QtCore.Qt.AlignmentFlag.AlignRight | QtCore.Qt.AlignmentFlag.AlignVCenter
            )
        if tip:
            item.setToolTip(tip)
        if bold:
            font = item.font()
            font.setBold(True)
            item.setFont(font)
        self.table.setItem(row, column, item)
        self._cells[(row, column)] = value
        return True
