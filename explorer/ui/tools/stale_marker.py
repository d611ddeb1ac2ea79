"""Say when the maps and weights on screen are not those of the current settings.

After a refused edit (e.g. groups not dividing the channels) nothing runs, and after a
cancelled or failed run some layers are not recomputed: the window keeps showing the last
valid result, which is useful, but it must say so. This tool shows a banner above the
feature maps and one above the weights ("Last valid result — …"), each in a row of its
own that covers nothing, whenever the selected layer's shown result was computed for other settings than the current ones (its input, seed or
any layer up to it differ) and no run is on its way to replace it. While a normal run is
in flight the banner stays off, so dragging a slider does not flash it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6 import QtCore, QtWidgets

from explorer.ui.widgets.binding import connect_while_alive

if TYPE_CHECKING:
    from explorer.ui.tools.host import ToolHost

__all__ = ["StaleMarker", "install"]

_STYLE = (
    "background: rgba(255, 193, 7, 225); color: #222; font-weight: bold; "
    "padding: 3px 8px; border-radius: 3px;"
)


class _Banner(QtWidgets.QLabel):
    """A one-line warning in its own row of a layout (it covers nothing: shown, it takes
    a row above the maps or the weights; hidden, no room at all)."""

    def __init__(self, name: str) -> None:
        super().__init__()
        self.setObjectName(name)
        self.setStyleSheet(_STYLE)
        self.setWordWrap(True)  # a narrow centre wraps it rather than widening the window
        self.setSizePolicy(
            QtWidgets.QSizePolicy.Policy.Preferred, QtWidgets.QSizePolicy.Policy.Maximum
        )
        self.hide()

    def show_text(self, text: str) -> None:
        self.setText(text)
        self.show()


class StaleMarker(QtCore.QObject):
    """Marks the shown maps and weights as the last valid result when they are stale.

    Attributes
    ----------
    text
        The banner's text, ``""`` while the shown result is current.
    """

    def __init__(self, host: ToolHost) -> None:
        super().__init__(host.widget)
        self._host = host
        self._ran: dict[int, Any] = {}
        self._ran_input: Any = None
        self._reason = ""
        self.text = ""
        self.banners = [_Banner("StaleMapsBanner"), _Banner("StaleWeightsBanner")]
        host.add_above_maps(self.banners[0])
        host.weight_view.add_bar(self.banners[1])
        c = host.run
        c.layer_result.connect(self._on_layer_result)
        c.input_ready.connect(self._on_input)
        c.spec_error.connect(self._on_spec_error)
        c.run_cancelled.connect(lambda *_: self._set_reason("the run was cancelled (Esc)"))
        c.run_failed.connect(lambda message: self._set_reason(f"the run failed: {message}"))
        c.busy_changed.connect(lambda *_: self.update())
        c.costs_changed.connect(lambda *_: self.update())
        connect_while_alive(host.document.selection_changed, self._on_selection, self)

    # ------------------------------------------------------------------ state
    def _on_selection(self, *_: object) -> None:
        self.update()

    def _upstream(self, index: int) -> Any:
        scene = self._host.document.scene
        return scene.input, scene.seed, tuple(scene.layers[: index + 1])

    def _on_layer_result(self, revision: int, result: Any) -> None:
        # by the layer's identity: what the window shows for a layer is its own result
        self._ran[getattr(result, "uid", None)] = self._upstream(result.index)
        self.update()

    def _on_input(self, *_: object) -> None:
        scene = self._host.document.scene
        self._ran_input = (scene.input, scene.seed)
        self.update()

    def _on_spec_error(self, err: object) -> None:
        if err is not None:
            self._set_reason(f"this edit was refused: {err}")

    def _set_reason(self, reason: str) -> None:
        self._reason = reason
        self.update()

    def is_stale(self) -> bool:
        """Whether the selected layer's shown maps and weights are not the current ones."""
        c, doc = self._host.run, self._host.document
        if c.busy and c.error is None:
            return False  # a run is on its way: it replaces them in a moment
        index = doc.selected
        if index < 0:
            if c.input_image is None:
                return False
            scene = doc.scene
            return self._ran_input != (scene.input, scene.seed)
        spec = doc.layers[index] if index < len(doc.layers) else None
        result = c.state.result(spec)  # what the window shows: this layer's own result
        if result is None or spec is None or result.kind != spec.kind:
            return False  # nothing old is shown (the view says "Computing…" or the error)
        return self._ran.get(spec.uid) != self._upstream(index)

    def update(self) -> None:
        """Show or hide the banners."""
        if not self.is_stale():
            self.text = ""
            for banner in self.banners:
                banner.hide()
            return
        err = self._host.run.error
        reason = (
            f"this edit was refused: {err}"
            if err is not None
            else (self._reason or "not computed for these settings")
        )
        self.text = f"Last valid result — not the current settings ({reason})."
        short = (
            "the edit was refused"
            if err is not None
            else reason.split(":")[0]
            if self._reason
            else "not computed yet"
        )
        for banner in self.banners:
            banner.setToolTip(self.text)  # the full reason (also in the status bar)
            banner.show_text(f"⚠ Last valid result — not the current settings ({short})")


def install(host: ToolHost) -> StaleMarker:
    """Banners over the maps and weights when they show the last valid result."""
    return StaleMarker(host)
