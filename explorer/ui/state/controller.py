"""The controller: turns document edits into costs (at once) and runs (on a worker).

On every change of the :class:`~explorer.core.model.document.SceneDocument` the controller

1. computes the costs synchronously (:func:`explorer.core.analysis.costs.stack_cost`, pure
   arithmetic) and publishes them, so the cost labels follow the user's typing;
2. on a :class:`~explorer.core.errors.SpecError` publishes the error and runs nothing (the
   last valid results stay on screen);
3. otherwise starts a run on a worker thread: at once when none is in flight (so dragging a
   slider repaints at every step when a run is quicker than a frame: no debounce stall),
   else as soon as the run in flight has stopped (edits meanwhile coalesce: only the
   latest is run). ``debounce_ms`` is the least time between two run starts. The run is the plain core
   function :func:`explorer.core.compute.run.run_stack`; it yields one result per layer, so the
   views fill in layer by layer.
4. runs a *tiny* run (predicted from the runs before to take a few milliseconds:
   :class:`~explorer.ui.state.inline_runs.InlinePlanner`) synchronously on the GUI thread
   instead, where handing it to the worker would cost more than the run; with the same
   revisions, stale rules and signals.

Latest wins: every change bumps a revision; a run aborts between layers as soon as its
revision is no longer the latest, and results of an old revision are dropped. Only one
worker runs at a time (the next starts when the aborted one returns), which keeps the CPU
for the run that matters and keeps the per-layer cache single-threaded. The revisions, the
worker and the dropping of stale results are :class:`~explorer.ui.state.runner.LatestRunner`'s,
shared with the comparison window.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

from explorer.core.analysis.costs import find_comparisons, stack_cost
from explorer.core.errors import ExplorerError, SpecError
from explorer.core.io.scene import InputSpec, Scene
from explorer.core.model.document import SceneDocument
from explorer.core.model.run_state import RunState
from explorer.ui.state.gc_policy import collect_on_main_thread
from explorer.ui.state.inline_runs import InlinePlanner
from explorer.ui.state.runner import LatestRunner
from explorer.ui.state.warm_memory import WarmMemory

__all__ = ["Controller", "RunRequest", "compute_threads"]

log = logging.getLogger(__name__)

#: Least time between the starts of two runs (0: an edit runs at once when the worker is
#: idle). A run in flight is never joined by a second one: edits made meanwhile wait for it
#: to stop (it aborts between layers) and only the latest of them runs.
DEBOUNCE_MS = 0
#: How long after a run on the GUI thread its next outputs' memory is written (after the
#: paint of the result; a drag's next edit usually comes first and skips it).
WARM_AFTER_MS = 30


@dataclass(frozen=True)
class RunRequest:
    """An immutable snapshot of what to run: safe to hand to the worker thread."""

    revision: int
    scene: Scene
    #: the scene's :class:`~explorer.core.analysis.costs.StackCost` (``None``: not known)
    cost: Any = None


def compute_threads(cpus: int | None = None) -> int | None:
    """Torch intra-op threads for a run: every core but one, which stays with the GUI.

    With torch's default of one thread per core, the forward pass and the painting of the
    previous layer's maps fight for the cores, and OpenMP threads that wait for one spin:
    on two cores the default scene's layers took 3-10 times longer than with one thread
    (docs/performance.md). ``None`` (leave torch alone) when ``OMP_NUM_THREADS`` is set.
    """
    if os.environ.get("OMP_NUM_THREADS"):
        return None
    cpus = cpus if cpus is not None else (os.cpu_count() or 1)
    return max(1, cpus - 1)


def _default_run_stack(*args: Any, **kwargs: Any) -> Iterator[Any]:
    import torch  # imported lazily, off the first paint

    from explorer.core.compute.run import run_stack

    threads = compute_threads()
    # OpenMP keeps the thread count per calling thread: set it in the worker itself
    if threads is not None and torch.get_num_threads() != threads:
        torch.set_num_threads(threads)
    return run_stack(*args, **kwargs)


_last_input: list[Any] = [None, None]  # [key, read-only array] of the last input resolved


def _default_resolve_input(input_spec: InputSpec, seed: int) -> Any:
    """The input, read-only, and the SAME array while the input spec, seed and image file
    are unchanged: run_stack then knows it without hashing its bytes on every edit."""
    from explorer.core.io.inputs import image_path, resolve_input

    stamp = None
    if input_spec.shape is None:
        try:
            st = os.stat(image_path(input_spec))
            stamp = (st.st_mtime_ns, st.st_size)
        except (OSError, ExplorerError):
            stamp = None  # resolve_input reports it
    key = (input_spec, seed, stamp)
    if _last_input[0] == key and (stamp is not None or input_spec.shape is not None):
        return _last_input[1]
    image = resolve_input(input_spec, seed=seed)
    image.flags.writeable = False
    _last_input[:] = [key, image]
    return image


def _default_input_shape(input_spec: InputSpec) -> tuple[int, int, int]:
    from explorer.core.io.inputs import input_shape

    return tuple(input_shape(input_spec))  # type: ignore[return-value]


class Controller(QObject):
    """Costs and runs for a :class:`SceneDocument`, latest wins.

    Parameters
    ----------
    document
        The document to follow.
    debounce_ms
        Least time between the starts of two runs (0 by default: an edit made while no
        run is in flight starts one at once).
    run_stack, resolve_input, input_shape
        The core functions (injectable for tests); defaults are
        :func:`explorer.core.compute.run.run_stack`, :func:`explorer.core.io.inputs.resolve_input`
        and :func:`explorer.core.io.inputs.input_shape`, imported lazily.
    planner
        Decides which runs are tiny enough for the GUI thread
        (:class:`~explorer.ui.state.inline_runs.InlinePlanner`); by default one with the
        default ``run_stack``, none (every run on the worker) with an injected one.

    Signals
    -------
    costs_changed(StackCost, list)
        The costs of the current scene and its separable-vs-standard comparisons.
    spec_error(object)
        A :class:`SpecError` for the current scene, or ``None`` once it is valid again.
    input_ready(int, object)
        The revision and the resolved input image ``(C, H, W)``.
    layer_result(int, LayerResult)
        The revision and one layer's result, as soon as it is computed.
    run_started(int), run_finished(int, float)
        A run of that revision began / completed (with its wall time in seconds).
    run_failed(str)
        A run or the input could not be computed (one-line message).
    run_cancelled(int)
        The user cancelled the run of that revision.
    busy_changed(bool)
        Whether a run is in flight or about to start.

    Attributes
    ----------
    cost
        The current scene's :class:`StackCost`; with a :class:`SpecError`, the costs of
        the layers before the one in error (or ``None``).
    error
        The current scene's error, or ``None``.
    input_image, results
        The latest input array and the latest :class:`LayerResult` of each layer index
        (kept while an error stops runs: the last valid results stay on screen).
    """

    costs_changed = Signal(object, object)
    spec_error = Signal(object)
    input_ready = Signal(int, object)
    layer_result = Signal(int, object)
    run_started = Signal(int)
    run_finished = Signal(int, float)
    run_failed = Signal(str)
    run_cancelled = Signal(int)
    busy_changed = Signal(bool)

    def __init__(
        self,
        document: SceneDocument,
        parent: QObject | None = None,
        *,
        debounce_ms: int = DEBOUNCE_MS,
        run_stack: Callable[..., Iterator[Any]] | None = None,
        resolve_input: Callable[[InputSpec, int], Any] | None = None,
        input_shape: Callable[[InputSpec], tuple[int, int, int]] | None = None,
        planner: InlinePlanner | None = None,
    ) -> None:
        super().__init__(parent)
        collect_on_main_thread()  # before any worker exists: see gc_policy
        self.document = document
        self._run_stack = run_stack or _default_run_stack
        self._resolve_input = resolve_input or _default_resolve_input
        self._input_shape = input_shape or _default_input_shape
        if planner is None and run_stack is None:
            planner = InlinePlanner()
        self._planner = planner
        self._run_results: tuple[int, list[Any]] = (-1, [])  # this run's layer results
        self.last_run_here = False  # whether the latest run started ran on the GUI thread
        self._runner = LatestRunner(self)
        self._runner.started.connect(self.run_started)
        self._runner.yielded.connect(self._on_yielded)
        self._runner.returned.connect(self._on_returned)
        self._runner.errored.connect(self._on_errored)
        self._runner.busy_changed.connect(lambda _: self._update_busy())
        self._pending: RunRequest | None = None  # waiting for the debounce
        self._busy = False
        self._closed = False
        self._held = False  # runs wait for release() (start-up: until the window is painted)
        self._shape_cache: tuple[InputSpec, tuple[int, int, int]] | None = None
        self._layer_cache: Any = None
        self.cost = None
        self.error: ExplorerError | None = None
        self.input_image: Any = None
        self.results: dict[int, Any] = {}
        #: results, costs and timings keyed by layer identity (views read this)
        self.state = RunState()
        self.last_seconds: float | None = None
        self._min_gap_ms = max(0, int(debounce_ms))
        self._last_start = -1e9
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(self._min_gap_ms)
        self._timer.timeout.connect(self._start_pending)
        # after a run on this thread, once the window has painted: the next tiny run's
        # outputs go to memory written before (see warm_memory)
        self._warm = WarmMemory(enabled=planner is not None)
        self._warm_timer = QTimer(self, singleShot=True, interval=WARM_AFTER_MS)
        self._warm_timer.timeout.connect(self._warm_up)
        self._warm_bytes = 0
        document.changed.connect(self._on_changed)

    # ------------------------------------------------------------------ public
    @property
    def revision(self) -> int:
        """The revision of the latest scene seen."""
        return self._runner.revision

    @property
    def busy(self) -> bool:
        """Whether a run is in flight or scheduled."""
        return self._busy

    @property
    def worker_running(self) -> bool:
        """Whether a worker thread is still alive (tests check none is left)."""
        return self._runner.running

    def superseded(self, revision: int) -> bool:
        """Whether an edit has made ``revision`` old and a run of the newer one is on its
        way (pending or in flight): a view may skip drawing that revision's results."""
        return revision < self._runner.revision and self._busy and self.error is None

    def refresh(self) -> None:
        """Recompute the costs and rerun the current scene (e.g. after loading)."""
        self._on_changed(self.document.scene)

    def hold(self) -> None:
        """Start no run until :meth:`release`; costs still follow every edit.

        At start-up the window holds the first run until it has been painted: the worker
        imports torch, which holds the interpreter lock for most of a second and would
        otherwise delay the first paint (:mod:`explorer.ui.window.first_paint`).
        """
        self._held = True

    def release(self) -> None:
        """Undo :meth:`hold`: the latest edit held back (if any) runs now."""
        if not self._held:
            return
        self._held = False
        if self._pending is not None and not self._timer.isActive():
            self._start_pending()

    @property
    def held(self) -> bool:
        """Whether runs wait for :meth:`release`."""
        return self._held

    def cancel(self) -> None:
        """Stop the run in flight (Esc); the results so far stay."""
        self._timer.stop()
        self._pending = None
        if self._runner.cancel():
            self.run_cancelled.emit(self._runner.revision)
        self._update_busy()

    def shutdown(self, timeout: float = 3.0) -> bool:
        """Abort any run and wait up to ``timeout`` seconds for the worker to end.

        Returns whether no worker is left running. Called when the window closes.
        """
        self._closed = True
        self._timer.stop()
        self._pending = None
        try:
            self.document.changed.disconnect(self._on_changed)
        except (TypeError, ValueError, RuntimeError):
            pass
        return self._runner.shutdown(timeout)

    # ------------------------------------------------------------------ edits → costs
    def _on_changed(self, scene: Scene) -> None:
        if self._closed:
            return
        revision = self._runner.new_revision()  # a run in flight is stale from now on
        try:
            shape = self._shape_of(scene.input)
            cost = stack_cost(shape, scene.layers)
            comparisons = find_comparisons(scene.layers, cost)
        except SpecError as err:
            self._timer.stop()
            self._pending = None
            self.error = err
            self.cost = self._cost_before(scene, err)
            self.state.set_costs(scene.layers, self.cost)
            self.spec_error.emit(err)
            self._update_busy()
            return
        except ExplorerError as err:  # the input cannot be read
            self._timer.stop()
            self._pending = None
            self.error = err
            self.run_failed.emit(str(err))
            self._update_busy()
            return
        had_error = self.error is not None
        self.error = None
        self.cost = cost
        self.state.set_costs(scene.layers, cost)
        self._pending = RunRequest(revision, scene, cost)
        if not self._timer.isActive():
            wait = self._min_gap_ms - (time.perf_counter() - self._last_start) * 1000
            # at once when the event loop turns (a drag repaints every step; at start-up the
            # window is painted before the worker imports torch); a run in flight is stale
            # from now on and stops, and the runner starts this one when it has
            self._timer.start(max(0, int(wait) + 1) if wait > 0 else 0)
        # busy before the new costs are told: a listener then knows a run is on its way
        # (the stale-result banners showed and hid again on every edit, re-laying-out and
        # repainting the maps and weights twice while the run waited)
        self._update_busy()
        self.costs_changed.emit(cost, comparisons)
        if had_error:
            self.spec_error.emit(None)

    def _cost_before(self, scene: Scene, err: SpecError) -> Any:
        """Costs of the layers before the one in error (for the rows that are fine)."""
        if err.layer is None:
            return None
        try:
            return stack_cost(self._shape_of(scene.input), scene.layers[: err.layer])
        except ExplorerError:
            return None

    def _shape_of(self, input_spec: InputSpec) -> tuple[int, int, int]:
        if self._shape_cache is None or self._shape_cache[0] != input_spec:
            self._shape_cache = (input_spec, self._input_shape(input_spec))
        return self._shape_cache[1]

    # ------------------------------------------------------------------ runs
    def _start_pending(self) -> None:
        if self._closed or self._pending is None or self._held:
            return
        request, self._pending = self._pending, None
        self._last_start = time.perf_counter()
        # a tiny run (predicted from the runs before) is done here, on the GUI thread: its
        # hand-off to the worker and back cost more than the run
        here = self._planner is not None and self._planner.tiny(request.scene, request.cost)
        self.last_run_here = here
        # waits while a run is in flight: that run sees it is stale and ends first
        self._runner.submit(self._job, request, revision=request.revision, here=here)
        self._update_busy()

    def _is_stale(self, revision: int) -> bool:
        return self._runner.is_stale(revision)

    def _job(self, request: RunRequest) -> Iterator[tuple]:
        """The worker's generator: runs in the worker thread, touches no widget."""
        scene, revision = request.scene, request.revision
        start = time.perf_counter()
        # the run's own time, without the time spent suspended at a yield (a run on the GUI
        # thread waits there while the views show each result)
        away, left = 0.0, 0.0
        # and its CPU time on this thread, without the CPU time used elsewhere meanwhile
        cpu_start, cpu_away = time.thread_time(), 0.0
        # resolve_input keeps decoded images in its own cache (keyed by file mtime too)
        image = self._resolve_input(scene.input, scene.seed)
        left, left_cpu = time.perf_counter(), time.thread_time()
        yield ("input", revision, image)
        away += time.perf_counter() - left
        cpu_away += time.thread_time() - left_cpu
        if self._layer_cache is None:
            self._layer_cache = self._new_layer_cache()
        # each layer's CPU time on this thread: on the worker, its wall time also counts
        # the waits for the interpreter lock while the GUI thread paints (a seed edit's
        # separable layer: ≈ 5 ms wall for ≈ 2 ms of work), which kept such runs off the
        # GUI thread for ever (see InlinePlanner.ran)
        cpu: dict[int, float] = {}
        resumed = time.thread_time()
        for result in self._run_stack(
            scene.layers,
            image,
            seed=scene.seed,
            should_abort=lambda: self._is_stale(revision),
            cache=self._layer_cache,
        ):
            cpu[result.index] = time.thread_time() - resumed
            left, left_cpu = time.perf_counter(), time.thread_time()
            yield ("layer", revision, result)
            away += time.perf_counter() - left
            cpu_away += time.thread_time() - left_cpu
            resumed = time.thread_time()
        wall = time.perf_counter() - start
        run_cpu = time.thread_time() - cpu_start - cpu_away
        return (revision, wall, request, wall - away, cpu, run_cpu)

    def _new_layer_cache(self) -> Any:
        if self._run_stack is not _default_run_stack:
            return None
        from explorer.core.compute.run import LayerCache

        return LayerCache()

    def _on_yielded(self, _revision: int, item: tuple) -> None:
        what, revision, value = item
        if self._closed or self._is_stale(revision):
            return
        if what == "input":
            self.input_image = value
            self.input_ready.emit(revision, value)
        else:
            if self._run_results[0] != revision:
                self._run_results = (revision, [])
            self._run_results[1].append(value)
            self.results[value.index] = value
            self.state.set_result(value)
            self.layer_result.emit(revision, value)

    def _on_returned(self, _revision: int, value: tuple | None) -> None:
        if value is None or self._closed:
            return
        revision, seconds, request, own, cpu, run_cpu = value
        if self._is_stale(revision):
            return
        if self._planner is not None:
            done = self._run_results[1] if self._run_results[0] == revision else []
            self._planner.ran(
                request.scene, request.cost, done, own, cpu_seconds=cpu, run_cpu_s=run_cpu
            )
            if self.last_run_here and self._warm.active:
                made = sum(a.nbytes for r in done if not r.cached for a in r.parts.values())
                self._warm_bytes = 2 * made  # room for a next edit that grows the output
                self._warm_timer.start()
        count = len(self.document.scene.layers)
        for index in [i for i in self.results if i >= count]:
            del self.results[index]
        self.state.keep_only(self.document.scene.layers)
        self.last_seconds = seconds
        self.run_finished.emit(revision, seconds)

    def _on_errored(self, revision: int, exc: BaseException) -> None:
        if self._closed or self._is_stale(revision):
            return
        if isinstance(exc, ExplorerError):
            message = str(exc)
        else:
            log.error("run failed", exc_info=(type(exc), exc, exc.__traceback__))
            message = f"internal error: {type(exc).__name__}: {exc}"
        self.run_failed.emit(message)

    def _warm_up(self) -> None:
        if not self._closed and not self._runner.busy and self._warm.start(self._warm_bytes):
            QTimer.singleShot(0, self, self._warm_step)

    def _warm_step(self) -> None:
        """One slice of the warming per turn (issue 16: 32 MiB at once was a 33 ms stall)."""
        if self._closed or self._runner.busy:
            self._warm.cancel()
        elif self._warm.step():
            QTimer.singleShot(0, self, self._warm_step)

    def _update_busy(self) -> None:
        busy = not self._closed and (self._runner.busy or self._pending is not None)
        if busy != self._busy:
            self._busy = busy
            self.busy_changed.emit(busy)
