"""When a run is tiny enough to do on the GUI thread: a prediction from the runs before.

Handing a run to the worker thread costs more than a tiny run itself: on the default scene
a 1×1 edit's forward takes ≈ 1 ms, but its result reached the GUI thread ≈ 4–5 ms after
the run started (the thread switches, and the GUI thread waiting for the interpreter lock
while the worker builds the new module). :class:`InlinePlanner` predicts a run's time from
the runs measured before and lets the controller do it synchronously, on the GUI thread,
when the prediction is at most :attr:`InlinePlanner.budget_s` (a few milliseconds: the GUI
thread never does work over ≈ 100 ms). Everything else goes to the worker: the first run
(torch is imported there), a layer never run before or of another kind than before,
weights read from files, a changed input (an image to decode), a large stack or input,
any run predicted over the budget, which includes every run of layers that were slow
before (a loaded machine), and the run after any run that took over
:data:`SLOW_FACTOR` times the budget.

The prediction, for a scene and its costs: the layers before the first one that differs
from the last run's scene come from the per-layer cache (≈ free); every later layer takes
the time its last computed run took (the cold time of :class:`LayerResult.seconds`, which
includes building the module), scaled up by how much more work it has now (MACs,
element-wise operations and output elements); plus the last run's time outside the layers
(input, cache keys). Pure Python, no Qt: the controller asks :meth:`InlinePlanner.tiny`
before a run and tells :meth:`InlinePlanner.ran` after each one.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from explorer.core.analysis.costs import StackCost
from explorer.core.analysis.memory import memory_estimate
from explorer.core.io.scene import Scene
from explorer.core.model.kinds.base import CheckpointTensor, LayerSpec, ModelTensor

__all__ = ["BUDGET_S", "InlinePlanner"]

#: A run predicted to take at most this long runs on the GUI thread.
BUDGET_S = 0.006
#: ... and only when it needs at most this much memory (activations, temporaries, weights)
MAX_BYTES = 64 * 1024**2
#: ... and its input has at most this many values (a new seed draws or copies it anew).
MAX_INPUT_VALUES = 1 << 20
#: After a run that took this many times the budget, the next one goes to the worker.
SLOW_FACTOR = 4.0


def _reads_files(spec: LayerSpec) -> bool:
    """Whether building ``spec`` reads weights from a checkpoint or model file."""
    for _target, source in getattr(spec, "weights", ()):
        if isinstance(source, CheckpointTensor | ModelTensor):
            return True
    return any(_reads_files(inner) for inner in getattr(spec, "layers", ()) or ())


def _work(cost: StackCost, index: int) -> int:
    layer = cost.layers[index]
    return max(1, layer.macs + layer.elementwise + math.prod(layer.output_shape))


@dataclass
class _Measured:
    kind: str
    work: int
    seconds: float


@dataclass
class InlinePlanner:
    """Predicts whether the next run is tiny (see the module docstring).

    Parameters
    ----------
    budget_s
        The longest predicted run done on the GUI thread.
    max_bytes, max_input_values
        Larger runs always go to the worker, whatever was measured.
    """

    budget_s: float = BUDGET_S
    max_bytes: int = MAX_BYTES
    max_input_values: int = MAX_INPUT_VALUES
    _layers: dict[int, _Measured] = field(default_factory=dict)
    _last: Scene | None = None
    _overhead: float = 0.0
    _last_s: float = 0.0  # the last run's own time

    def predict(self, scene: Scene, cost: StackCost | None) -> float | None:
        """Predicted seconds of a run of ``scene`` (whose costs are ``cost``), or ``None``
        when it cannot be predicted (nothing like it measured yet)."""
        last = self._last
        if last is None or cost is None or len(cost.layers) != len(scene.layers):
            return None
        if scene.input != last.input:  # another image or size: decoded on the worker
            return None
        first = self._first_changed(scene, last)
        seconds = self._overhead
        for index in range(first, len(scene.layers)):
            measured = self._layers.get(index)
            spec = scene.layers[index]
            if measured is None or measured.kind != spec.kind or _reads_files(spec):
                return None
            seconds += measured.seconds * max(1.0, _work(cost, index) / measured.work)
        return seconds

    def tiny(self, scene: Scene, cost: StackCost | None) -> bool:
        """Whether a run of ``scene`` may be done on the GUI thread."""
        if cost is None or math.prod(cost.input_shape) > self.max_input_values:
            return False
        if memory_estimate(cost).total > self.max_bytes:
            return False
        if self._last_s > SLOW_FACTOR * self.budget_s:  # a slow machine, or a big run
            return False
        predicted = self.predict(scene, cost)
        return predicted is not None and predicted <= self.budget_s

    def ran(
        self,
        scene: Scene,
        cost: StackCost | None,
        results: Iterable[Any],
        wall_s: float,
        *,
        cpu_seconds: Mapping[int, float] | None = None,
        run_cpu_s: float | None = None,
    ) -> None:
        """Learn from a finished run of ``scene``: its layer ``results``
        (:class:`~explorer.core.compute.run.LayerResult`) and its own time ``wall_s``
        (not counting the time it waited for the views).

        ``cpu_seconds``: the CPU time each layer (by index) took on the thread that ran it.
        A layer is predicted from the lesser of its wall and CPU times: on the worker, its
        wall time also counts the waits for the interpreter lock while the GUI thread was
        busy (painting the edit), time it would not wait on the GUI thread. Without it, a
        run once sent to the worker was measured slow there and never predicted tiny again
        (a seed edit of the default scene: ≈ 6–7 ms wall for ≈ 3 ms of work).

        ``run_cpu_s``: the whole run's CPU time on its thread. The run's own time (and so the
        overhead outside the layers) is the lesser of it and ``wall_s``, for the same reason:
        on the worker the waits for the lock between layers while the GUI thread painted
        each result were learnt as ≈ 10 ms of overhead, and a seed edit of the default scene
        (≈ 4 ms of work) stayed on the worker in most runs.
        """
        if cost is None or len(cost.layers) != len(scene.layers):
            self.forget()
            return
        cpu = cpu_seconds or {}
        own_s = float(wall_s) if run_cpu_s is None else min(float(wall_s), float(run_cpu_s))
        computed = 0.0
        for result in results:
            index = int(result.index)
            if result.cached or index >= len(cost.layers):
                continue
            seconds = float(result.seconds)
            work = min(seconds, float(cpu.get(index, seconds)))
            computed += seconds if run_cpu_s is None else work
            self._layers[index] = _Measured(str(result.kind), _work(cost, index), work)
        for index in [i for i in self._layers if i >= len(scene.layers)]:
            del self._layers[index]
        self._overhead = max(0.0, own_s - computed)
        self._last_s = own_s
        self._last = scene

    def forget(self) -> None:
        """Predict nothing until the next run is measured (e.g. after a failed run)."""
        self._layers.clear()
        self._last = None
        self._overhead = 0.0
        self._last_s = 0.0

    @staticmethod
    def _first_changed(scene: Scene, last: Scene) -> int:
        """Index of the first layer that will not come from the cache."""
        if scene.seed != last.seed:
            return 0
        layers: Sequence[LayerSpec] = scene.layers
        for index, spec in enumerate(layers):
            if index >= len(last.layers) or spec != last.layers[index]:
                return index
        return len(layers)
