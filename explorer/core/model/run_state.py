"""Run results, costs and timings keyed by layer identity, as a small evented object.

The controller fills a :class:`RunState` as results arrive; views ask it for the result of
*a layer* (its :attr:`~explorer.core.model.specs.LayerSpec.uid`), not of a place in the stack, so
after a move, an insert or a delete no view can show another layer's maps or costs.
Qt-free (psygnal), so it can be tested without a window.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from psygnal import Signal

from explorer.core.model.specs import LayerSpec

__all__ = ["RunState"]


class RunState:
    """Latest result, cost and forward time of each layer, by layer identity.

    Signals
    -------
    result_changed(int)
        A new result for the layer with that uid.
    costs_changed()
        The costs were recomputed (after any edit).
    """

    result_changed = Signal(int)
    costs_changed = Signal()

    def __init__(self) -> None:
        self._results: dict[int, Any] = {}
        self._costs: dict[int, Any] = {}
        self._timings: dict[int, Any] = {}

    def set_result(self, result: Any) -> None:
        """Store a :class:`~explorer.core.compute.run.LayerResult` under its ``uid`` (a result
        without one, e.g. a test double, is not stored)."""
        uid = getattr(result, "uid", None)
        if uid is None:
            return
        self._results[int(uid)] = result
        self.result_changed.emit(int(uid))

    def set_costs(self, layers: Sequence[LayerSpec], cost: Any | None) -> None:
        """Store each layer's :class:`~explorer.core.analysis.costs.LayerCost` (a cost may stop
        before a bad layer; ``None``: no costs)."""
        self._costs = {}
        if cost is not None:
            for spec, layer_cost in zip(layers, cost.layers, strict=False):
                self._costs[spec.uid] = layer_cost
        self.costs_changed.emit()

    def result(self, spec: LayerSpec | None) -> Any | None:
        """The latest result of this layer, or ``None`` (never another layer's)."""
        return None if spec is None else self._results.get(spec.uid)

    def cost(self, spec: LayerSpec | None) -> Any | None:
        """This layer's cost on its current input, or ``None``."""
        return None if spec is None else self._costs.get(spec.uid)

    def seconds(self, spec: LayerSpec | None) -> float | None:
        """Forward time of this layer's latest computed result (``None`` if none)."""
        result = self.result(spec)
        return None if result is None else float(result.seconds)

    def by_index(self, layers: Sequence[LayerSpec]) -> dict[int, Any]:
        """``{position: result}`` for ``layers`` as they are now (only their own results)."""
        return {i: r for i, spec in enumerate(layers) if (r := self.result(spec)) is not None}

    def set_timings(self, layers: Sequence[LayerSpec], timings: Mapping[int, Any]) -> None:
        """Store measured forward times (seconds or a
        :class:`~explorer.core.compute.timing.Timing`) given by position in ``layers`` as they
        are now, under each layer's uid (replaces the previous ones)."""
        self._timings = {
            layers[i].uid: t for i, t in timings.items() if 0 <= i < len(layers) and t is not None
        }

    def timing(self, spec: LayerSpec | None) -> Any | None:
        """The measured time of this layer, or ``None`` (never another layer's)."""
        return None if spec is None else self._timings.get(spec.uid)

    def timings_by_index(self, layers: Sequence[LayerSpec]) -> dict[int, Any]:
        """``{position: measured time}`` for ``layers`` as they are now (their own times)."""
        return {i: t for i, spec in enumerate(layers) if (t := self.timing(spec)) is not None}

    def keep_only(self, layers: Iterable[LayerSpec]) -> None:
        """Forget the results and times of layers that are gone."""
        live = {spec.uid for spec in layers}
        for uid in [u for u in self._results if u not in live]:
            del self._results[uid]
        for uid in [u for u in self._timings if u not in live]:
            del self._timings[uid]

    def clear(self) -> None:
        self._results.clear()
        self._costs.clear()
        self._timings.clear()
