"""File ▸ Open Model… and dropped ``.onnx`` / ``.tflite`` files: the model's first layers
become the stack (issue 11).

Reading and matching run on a worker with a busy progress dialog that can be cancelled; on
any error a message names the file (and node) and the current stack stays as it was.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6 import QtCore, QtWidgets
from PySide6.QtGui import QAction

from explorer.core.errors import ExplorerError
from explorer.ui.state.runner import LatestRunner
from explorer.ui.tools.models.model_dialog import ModelImportDialog, ModelProbe

if TYPE_CHECKING:
    from explorer.ui.tools.host import ToolHost

__all__ = ["ModelImport", "install", "probe_model"]

MODEL_FILTER = "Trained models (*.onnx *.tflite);;All files (*)"
_FALLBACK = 224


def probe_model(path: str) -> ModelProbe:
    """Read a model and match it on its own input size (224 for a dynamic axis)."""
    from explorer.core.io.importers import capabilities, read_model
    from explorer.core.io.importers.matcher import match

    graph = read_model(path)
    _, c, h, w = graph.input_shape
    dynamic = None in (h, w)
    shape = (c or 3, h or _FALLBACK, w or _FALLBACK)
    result = match(graph, shape, capabilities())
    return ModelProbe(
        path=str(path),
        input_name=graph.input,
        shape=shape,
        dynamic=dynamic,
        layers=len(result.layers),
        stop=result.stop.describe(),
        input_range=graph.input_range,
    )


def build_scene(path: str, shape: tuple[int, int, int], layers: int, normalize: Any) -> Any:
    """The scene of the chosen layers (on a worker)."""
    from explorer.core.io.importers import import_model, to_scene
    from explorer.core.io.scene import validate_scene

    result = import_model(path, shape, layers)
    scene = to_scene(result, normalize=normalize)
    validate_scene(scene, memory=False)
    return scene


class ModelImport(QtCore.QObject):
    """Owns the Open Model action, its worker and dialogs."""

    finished = QtCore.Signal(bool)

    def __init__(self, host: ToolHost) -> None:
        super().__init__(host.widget)
        self.host = host
        self.window = host.widget  # the parent of its dialogs
        self.runner = LatestRunner(self)
        self.runner.errored.connect(lambda _rev, exc: self._errored(exc))
        self.runner.finished.connect(lambda _rev: self._done())
        self._on_result: Any = None
        self.runner.returned.connect(lambda _rev, value: self._on_result(value))
        self.progress: QtWidgets.QProgressDialog | None = None
        self.dialog: ModelImportDialog | None = None
        self.action = QAction("Open &Model…", host.widget)
        self.action.setShortcut("Ctrl+Shift+M")
        self.action.setStatusTip(
            "Open a trained ONNX or TFLite model: its first layers become the stack"
        )
        self.action.triggered.connect(lambda: self.open_model())
        actions = host.menu("file").actions()
        host.add_action(self.action, "file", before=actions[3] if len(actions) > 3 else None)
        host.document.selection_changed.connect(self.show_source)
        host.document.inner_selection_changed.connect(self.show_source)

    def source_text(self) -> str:
        """``Layer 3 comes from MODEL: it equals the model's tensor 'NAME'`` for the selected
        (inner) layer when it was imported, else ``""``."""
        doc = self.host.document
        index = doc.selected
        if index < 0 or index >= len(doc.layers):
            return ""
        spec, label = doc.layers[index], f"Layer {index + 1}"
        inner = doc.inner_selected
        if inner >= 0:
            spec, label = spec.layers[inner], f"Layer {index + 1}.{inner + 1}"
        source = getattr(spec, "source", None)
        if source is None:
            return ""
        return (
            f"{label} comes from {Path(source.model).name}: its output equals the model's "
            f"tensor {source.output!r}"
        )

    def show_source(self, *_: object) -> None:
        """Say in the status bar where the selected layer came from (imported layers only)."""
        text = self.source_text()
        if text:
            self.host.show_status(text, 10000)

    # ------------------------------------------------------------------ steps
    def open_model(self, path: str | Path | None = None) -> bool:
        """Ask for a model (when ``path`` is None) and look at it on a worker."""
        if path is None:
            chosen, _ = QtWidgets.QFileDialog.getOpenFileName(
                self.window, "Open Model", "", MODEL_FILTER
            )
            if not chosen:
                return False
            path = chosen
        self._run(
            probe_model,
            str(Path(path).resolve()),
            on_result=self._ask,
            text=f"Reading {Path(path).name}…",
        )
        return True

    def _ask(self, probe: ModelProbe) -> None:
        if probe.layers == 0:
            self._fail(f"{probe.path}: nothing at its input can be imported: {probe.stop}")
            return
        dialog = ModelImportDialog(probe, self.window)
        dialog.accepted.connect(lambda: self._chosen(dialog))
        dialog.rejected.connect(lambda: self.finished.emit(False))
        self.dialog = dialog
        dialog.open()

    def _chosen(self, dialog: ModelImportDialog) -> None:
        layers, shape, normalize = dialog.choice()
        self._run(
            build_scene,
            dialog.probe.path,
            shape,
            layers,
            normalize,
            on_result=self._apply,
            text="Importing the layers…",
        )

    def _apply(self, scene: Any) -> None:
        if not self.host.maybe_save():
            self.finished.emit(False)
            return
        self.host.document.reset(scene)
        self.host.show_status(
            f"Opened {len(scene.layers)} layer(s) of {Path(scene.layers[0].source.model).name}",
            8000,
        )
        self.finished.emit(True)

    # ------------------------------------------------------------------ worker
    def _run(self, func: Any, *args: Any, on_result: Any, text: str) -> None:
        if self.runner.busy:
            self.host.show_status("A model is already being opened", 5000)
            return
        progress = QtWidgets.QProgressDialog(text, "Cancel", 0, 0, self.window)
        progress.setObjectName("ModelProgress")
        progress.setWindowTitle("Open Model")
        progress.setMinimumDuration(300)
        progress.canceled.connect(self._cancel)
        self.progress = progress
        self._on_result = on_result
        self.runner.submit(func, *args)

    def _cancel(self) -> None:
        self.runner.cancel()  # its result is dropped; the stack stays as it was
        self.host.show_status("Open Model cancelled", 5000)

    @property
    def busy(self) -> bool:
        """A model is being read or imported."""
        return self.runner.busy

    def _done(self) -> None:
        if self.progress is not None:
            self.progress.reset()
            self.progress.deleteLater()
            self.progress = None

    def _errored(self, exc: BaseException) -> None:
        text = (
            str(exc)
            if isinstance(exc, ExplorerError)
            else f"internal error: {type(exc).__name__}: {exc}"
        )
        self._fail(" ".join(text.split()))

    def _fail(self, message: str) -> None:
        self.host.report_error("Cannot open the model", message)
        self.finished.emit(False)


def install(host: ToolHost) -> ModelImport:
    """Add File ▸ Open Model… and route dropped model files to it."""
    tool = ModelImport(host)
    host.add_file_opener((".onnx", ".tflite"), tool.open_model)
    return tool
