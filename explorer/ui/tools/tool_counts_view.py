"""Tools ▸ Counts as Other Tools Report Them: what torch's FlopCounterMode, fvcore, thop,
ptflops and torchinfo would print for the current stack, and why each differs from the
app's MACs (:func:`explorer.core.analysis.tool_counts.tool_counts`: the app's own formulas, checked
against the tools in the tests; none of them is needed at run time).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6 import QtCore, QtGui, QtWidgets

from explorer.core.analysis.tool_counts import CONVENTION, tool_counts
from explorer.ui.widgets.screen_fit import fit_to_screen

if TYPE_CHECKING:
    from explorer.ui.tools.host import ToolHost

__all__ = ["HEADERS", "ToolCountsDialog", "install"]

HEADERS = ("tool", "reports", "it calls it", "which is", "why it differs", "users asked in")
_INTRO = (
    "The app's convention: " + CONVENTION + " Other tools print other numbers for the "
    "same layers, batch 1, eval mode (versions checked: fvcore 0.1.5, thop 0.1.1, "
    "ptflops 0.7.5, torchinfo 1.8.0):"
)


class ToolCountsDialog(QtWidgets.QDialog):
    """A table of the five tools' numbers for the current stack, kept up to date."""

    def __init__(self, host: ToolHost) -> None:
        super().__init__(host.widget)
        self.setObjectName("ToolCountsDialog")
        self.setWindowTitle("Counts as other tools report them")
        self._host = host
        intro = QtWidgets.QLabel(_INTRO, wordWrap=True)
        self.status = QtWidgets.QLabel(wordWrap=True)
        self.table = QtWidgets.QTableWidget(0, len(HEADERS))
        self.table.setHorizontalHeaderLabels(HEADERS)
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setWordWrap(True)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QtWidgets.QHeaderView.ResizeMode.ResizeToContents)
        # the two sentences share the width and wrap; rows grow to hold them (never a
        # column squeezed to a sliver at 1280×720)
        for col in (3, 4):
            header.setSectionResizeMode(col, QtWidgets.QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().setSectionResizeMode(
            QtWidgets.QHeaderView.ResizeMode.ResizeToContents
        )
        layout = QtWidgets.QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.status)
        layout.addWidget(self.table, 1)
        host.run.costs_changed.connect(self._on_costs)
        fit_to_screen(self, 1100, 360, within=host.widget)
        self.refresh()

    def _on_costs(self, *_: Any) -> None:
        if self.isVisible():
            self.refresh()

    def refresh(self) -> None:
        """Fill the table from the current stack's costs."""
        c = self._host.run
        cost = c.cost
        if cost is None or c.error is not None:
            self.status.setText(
                "The stack has an error: the numbers are for the last valid stack."
                if self.table.rowCount()
                else "No valid stack yet."
            )
            return
        counts = tool_counts(cost, self._host.document.layers)
        self.status.setText(
            f"This stack: {cost.macs:,} MACs, {cost.flops:,} FLOPs "
            f"({cost.bias_adds:,} bias additions)."
        )
        self.table.setRowCount(len(counts))
        for row, count in enumerate(counts):
            cells = (
                count.tool,
                f"{count.value:,}",
                count.label,
                count.means,
                count.why,
                count.reference,
            )
            for col, text in enumerate(cells):
                item = QtWidgets.QTableWidgetItem(text)
                if col == 1:
                    item.setTextAlignment(
                        QtCore.Qt.AlignmentFlag.AlignRight | QtCore.Qt.AlignmentFlag.AlignVCenter
                    )
                    item.setData(QtCore.Qt.ItemDataRole.UserRole, count.value)
                self.table.setItem(row, col, item)
        self.table.resizeRowsToContents()

    def values(self) -> dict[str, int]:
        """``{tool: value}`` as shown (for tests)."""
        return {
            self.table.item(r, 0).text(): self.table.item(r, 1).data(
                QtCore.Qt.ItemDataRole.UserRole
            )
            for r in range(self.table.rowCount())
        }


class ToolCounts:
    """What :func:`install` returns: the action and the dialog (made on first use)."""

    def __init__(self, host: ToolHost) -> None:
        self._host = host
        self._dialog: ToolCountsDialog | None = None
        self.action = QtGui.QAction("Counts as &Other Tools Report Them…", host.widget)
        self.action.setStatusTip(
            "What FlopCounterMode, fvcore, thop, ptflops and torchinfo "
            "would print for this stack, and why they differ"
        )
        self.action.triggered.connect(lambda _=False: self.open())
        host.add_action(self.action, "tools")

    @property
    def dialog(self) -> ToolCountsDialog:
        if self._dialog is None:
            self._dialog = ToolCountsDialog(self._host)
        return self._dialog

    def open(self) -> None:
        self.dialog.refresh()
        self.dialog.show()
        if QtGui.QGuiApplication.platformName() != "offscreen":
            self.dialog.raise_()


def install(host: ToolHost) -> ToolCounts:
    """Add Tools ▸ Counts as Other Tools Report Them…."""
    return ToolCounts(host)
