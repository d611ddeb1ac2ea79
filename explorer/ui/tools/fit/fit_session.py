"""One fit running on a worker thread, polled by the GUI so the window stays smooth.

The worker thread runs the core generator :func:`explorer.core.compute.fit.fit_stack` and touches
no widget: it appends each step's loss to a list and, when the GUI has asked for one, keeps
the latest snapshot (weights inline, output). A :class:`QTimer` on the GUI thread polls
every :data:`POLL_MS` and emits what is new, so however fast the steps are (thousands a
second for a 1×1 layer) the GUI sees at most ~10 updates a second, and it asks for the next
snapshot only when it has drawn the last one (throttling by the slowest consumer).
Pause blocks the worker between steps; stop makes the generator end with its best weights.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import numpy as np
from PySide6.QtCore import QEvent, QObject, QTimer, Signal

__all__ = ["POLL_MS", "FitSession", "StopOnClose", "prepare_fit", "sender_gone"]

log = logging.getLogger(__name__)

#: How often the GUI collects the worker's progress.
POLL_MS = 100


class FitSession(QObject):
    """A fit of ``layers`` (a frozen tuple) toward a target, on a worker thread.

    ``prepare()`` runs first on the worker and returns ``(image, target)`` (decoding the
    input and computing the target can take a while: another scene's stack, a blur).

    Signals
    -------
    progress(list, object)
        New ``FitStep`` objects since the last poll, and the latest snapshot step (or
        ``None``).
    finished(object)
        The :class:`~explorer.core.compute.fit.FitResult`.
    failed(str)
        A one-line message: the fit could not start or broke.
    """

    progress = Signal(list, object)
    finished = Signal(object)
    failed = Signal(str)

    def __init__(
        self,
        layers: Any,
        prepare: Callable[[], tuple[np.ndarray, np.ndarray]],
        options: Any,
        seed: int,
        parent: QObject | None = None,
        *,
        max_rate: float | None = None,
    ) -> None:
        super().__init__(parent)
        self._args = (layers, prepare, options, seed)
        #: Most steps per second (slow motion, to watch it learn); ``None``: full speed.
        self.max_rate = max_rate
        #: The target array, once the worker has computed it.
        self.target: np.ndarray | None = None
        self._lock = threading.Lock()
        self._steps: list[Any] = []
        self._snapshot: Any = None
        self._result: Any = None
        self._error: str | None = None
        self._done = threading.Event()
        self._stop = threading.Event()
        self._resume = threading.Event()
        self._resume.set()
        self._want = threading.Event()
        self._want.set()
        self._thread: threading.Thread | None = None
        self._timer = QTimer(self)
        self._timer.setInterval(POLL_MS)
        self._timer.timeout.connect(self._poll)

    # ------------------------------------------------------------------ control
    def start(self) -> None:
        """Start the worker thread and the polling."""
        self._thread = threading.Thread(target=self._work, name="fit", daemon=True)
        self._thread.start()
        self._timer.start()

    @property
    def started(self) -> bool:
        """Whether :meth:`start` was called."""
        return self._thread is not None

    @property
    def running(self) -> bool:
        """Whether the worker has not finished yet."""
        return self._thread is not None and not self._done.is_set()

    @property
    def paused(self) -> bool:
        return not self._resume.is_set()

    def pause(self, paused: bool = True) -> None:
        """Hold the worker between steps (``False`` lets it go on)."""
        if paused:
            self._resume.clear()
        else:
            self._resume.set()

    def stop(self) -> None:
        """Ask the fit to end now (its best weights are kept); returns at once."""
        self._stop.set()
        self._resume.set()

    def request_snapshot(self) -> None:
        """Ask the worker to include the weights in its next step."""
        self._want.set()

    def wait(self, timeout: float = 5.0) -> bool:
        """Stop and wait up to ``timeout`` seconds for the worker to end (closing)."""
        self.stop()
        self._timer.stop()
        return self._thread is None or self._done.wait(timeout)

    # ------------------------------------------------------------------ worker thread
    def _want_snapshot(self) -> bool:
        if self._want.is_set():
            self._want.clear()
            return True
        return False

    def _should_abort(self) -> bool:
        while not self._resume.wait(0.1):
            if self._stop.is_set():
                break
        return self._stop.is_set()

    def _work(self) -> None:
        try:
            import torch

            from explorer.core.compute.fit import fit_stack
            from explorer.core.errors import ExplorerError
            from explorer.ui.state.controller import compute_threads
            from explorer.ui.state.worker_priority import lower_this_thread

            lower_this_thread()  # below the GUI thread, as the runs' workers (issue 16)
            threads = compute_threads()
            if threads is not None:
                torch.set_num_threads(threads)  # per calling thread (OpenMP)
            layers, prepare, options, seed = self._args
            image, target = prepare()
            self.target = target
            gen = fit_stack(
                layers,
                image,
                target,
                options,
                seed=seed,
                should_abort=self._should_abort,
                want_snapshot=self._want_snapshot,
            )
            started = time.perf_counter()
            try:
                while True:
                    step = next(gen)
                    with self._lock:
                        self._steps.append(step)
                        if step.layers is not None:
                            self._snapshot = step
                    if self.max_rate:
                        due = started + step.step / self.max_rate - time.perf_counter()
                        if due > 0:
                            self._stop.wait(due)
            except StopIteration as stop:
                with self._lock:
                    self._result = stop.value
        except ExplorerError as exc:
            self._error = str(exc)
        except Exception as exc:  # a bug: say so in one line, log the traceback
            log.error("fit failed", exc_info=(type(exc), exc, exc.__traceback__))
            self._error = f"internal error: {type(exc).__name__}: {exc}"
        finally:
            self._done.set()

    # ------------------------------------------------------------------ GUI thread
    def _poll(self) -> None:
        done = self._done.is_set()
        with self._lock:
            steps, self._steps = self._steps, []
            snapshot, self._snapshot = self._snapshot, None
            result = self._result
        if steps or snapshot is not None:
            self.progress.emit(steps, snapshot)
        if done:
            self._timer.stop()
            if self._error is not None:
                self.failed.emit(self._error)
            elif result is not None:
                self.finished.emit(result)


def prepare_fit(input_spec: Any, seed: int, text: str, layers: Any) -> Any:
    """Decode the input and compute the target (on the worker)."""
    from explorer.core.compute.fit_targets import prepare_target
    from explorer.core.io.inputs import resolve_input

    image = resolve_input(input_spec, seed=seed)
    return image, prepare_target(text, image, layers)[1]


def sender_gone(obj: QObject) -> bool:
    """Whether a Qt object has been deleted under us (a late queued signal)."""
    try:
        obj.objectName()
    except RuntimeError:
        return True
    return False


class StopOnClose(QObject):
    """Stops the fit when the main window closes (before it asks to save)."""

    def __init__(self, dock: Any) -> None:
        super().__init__(dock)
        self._dock = dock

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802
        if event.type() == QEvent.Type.Close and self._dock.running:
            self._dock.stop()
            self._dock.shutdown()
        return False
