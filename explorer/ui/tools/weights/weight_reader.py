"""The selected layer's weights, read on a worker thread before the weight tools need them.

Reading a layer's weights means building its torch module (seeded init, then the set
weights applied): a click on a weight, the table (Edit Weights…) and their edits need them.
:class:`WeightReader` builds them on a :class:`~explorer.ui.state.runner.LatestRunner` as soon as
the scene or the selection changes, through the same guard
(:func:`~explorer.ui.tools.weights.weight_edit.current_weights`: valid stack, fits in memory, few enough
weights to set by hand), so the tools find them ready. Only an action quicker than that
worker reads them on the GUI thread, guarded as before.

The read starts once the scene has been quiet for :data:`PREFETCH_DELAY_MS` (:meth:`WeightReader.schedule`):
during a slider drag or right after an edit the CPU belongs to the run and the repaint
of the maps, not to weights nobody asked for yet.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

import numpy as np
from PySide6.QtCore import QObject, QTimer

from explorer.core.errors import ExplorerError
from explorer.ui.state.runner import LatestRunner
from explorer.ui.tools.weights.layer_checks import torch_loading
from explorer.ui.tools.weights.weight_edit import current_weights

if TYPE_CHECKING:
    from explorer.core.io.scene import Scene
    from explorer.core.model.document import SceneDocument

__all__ = ["PREFETCH_DELAY_MS", "WeightReader"]

#: Quiet time after the last edit or run before the selected layer's weights are read.
PREFETCH_DELAY_MS = 250

Weights = tuple[int, dict[str, np.ndarray]]


def _read(scene: Scene, index: int) -> tuple[Scene, int, Weights | ExplorerError]:
    """The worker's job: the weights of layer ``index``, or why they cannot be read."""
    try:
        return scene, index, current_weights(scene, index, on_worker=True)
    except ExplorerError as exc:
        return scene, index, exc


class WeightReader(QObject):
    """Reads the selected layer's weights on a worker whenever ``document`` changes.

    Attributes
    ----------
    reads
        How many reads the worker delivered (tests).
    """

    def __init__(self, document: SceneDocument, parent: QObject) -> None:
        super().__init__(parent)
        self.document = document
        self.reads = 0
        self._runner = LatestRunner(self)
        self._runner.returned.connect(self._on_returned)
        self._asked: tuple[Scene, int] | None = None
        self._have: tuple[Scene, int, Weights | ExplorerError] | None = None
        self._timer = QTimer(self, singleShot=True, interval=PREFETCH_DELAY_MS)
        self._timer.timeout.connect(self.prefetch)

    def schedule(self) -> None:
        """:meth:`prefetch` once nothing has changed for :data:`PREFETCH_DELAY_MS` (each
        call restarts the wait)."""
        self._timer.start()

    def ready(self, scene: Scene, index: int) -> bool:
        """Whether the worker has read layer ``index`` of exactly this ``scene``."""
        have = self._have
        return have is not None and have[0] is scene and have[1] == index

    def prefetch(self) -> None:
        """Read the selected layer's weights on the worker (unless read or asked already).

        Not before torch is imported (the first run imports it; the window's first paint
        comes before that): the tools then read on demand, as before."""
        if "torch" not in sys.modules or torch_loading():
            return
        scene, index = self.document.scene, self.document.selected
        if not 0 <= index < len(scene.layers) or not type(scene.layers[index]).weight_paths:
            return
        asked = self._asked
        if self.ready(scene, index) or (
            asked is not None and asked[0] is scene and asked[1] == index
        ):
            return
        self._asked = (scene, index)
        self._runner.submit(_read, scene, index)

    def weights(self, scene: Scene, index: int) -> Weights:
        """``(in_channels, weights)`` of layer ``index`` of ``scene``: what the worker read,
        else read now (guarded); raises the :class:`ExplorerError` that says why not."""
        if not self.ready(scene, index):
            return current_weights(scene, index)
        assert self._have is not None
        result = self._have[2]
        if isinstance(result, ExplorerError):
            raise result
        c_in, weights = result
        return c_in, {name: np.array(value, copy=True) for name, value in weights.items()}

    def _on_returned(self, _revision: int, value: Any) -> None:
        self._have = value
        self.reads += 1
