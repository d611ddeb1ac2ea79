"""Export: panels as PNG or SVG, feature maps as ``.npy``, the stack as PyTorch code.

File ▸ Export has, for each panel (feature maps, weights, costs, the whole window), a PNG at
a chosen width and an SVG; and the feature maps of the selected layer as a NumPy file,
exactly the ``(C, H, W)`` float32 array shown. Edit ▸ Copy as PyTorch Code (Ctrl+Shift+C)
puts :func:`explorer.core.compute.codegen.scene_code` on the clipboard, the same script as
``conv-explorer code``.

A PNG is rendered, not grabbed: the widget paints into an image whose device pixel ratio is
``width / widget width``, so text and lines are drawn at the target size and stay sharp.
An SVG is the widget painted into a :class:`~PySide6.QtSvg.QSvgGenerator` (vector text).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QPoint, QRect, QSize
from PySide6.QtGui import QAction, QImage, QKeySequence, QPainter
from PySide6.QtSvg import QSvgGenerator
from PySide6.QtWidgets import QApplication, QFileDialog, QInputDialog, QMenu, QWidget

from explorer.core.errors import ExplorerError
from explorer.core.model.specs import InlineTensor, LayerSpec, ModelTensor
from explorer.ui.state.runner import LatestRunner

if TYPE_CHECKING:
    from explorer.core.io.scene import Scene
    from explorer.ui.tools.host import ToolHost
    from explorer.ui.tools.present.export_job import ExportJob

__all__ = [
    "MAX_WIDTH",
    "MIN_WIDTH",
    "ExportError",
    "Exporter",
    "install",
    "render_canvas",
    "render_png",
    "save_png",
    "save_svg",
]

MIN_WIDTH = 64
MAX_WIDTH = 8192
DEFAULT_WIDTH = 1920
#: Scenes with more inline weight values than this get their script written on a worker:
#: ``repr`` of a float takes ~0.4 µs, so 100k values stalled the GUI thread 100+ ms (s9f).
CODE_HERE_VALUES = 20_000
PANEL_TITLES = {"maps": "Feature Maps", "weights": "Weights", "costs": "Costs", "window": "Window"}


class ExportError(ExplorerError):
    """A panel or array cannot be exported (nothing shown, bad width, unwritable file)."""


def render_png(widget: QWidget, width: int) -> QImage:
    """``widget`` painted into an image ``width`` pixels wide (height in proportion).

    Raises
    ------
    ExportError
        When the widget has no size (never shown) or ``width`` is out of range.
    """
    image, _ = render_canvas(widget, width)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.TextAntialiasing)
    widget.render(painter, QPoint(0, 0))
    painter.end()
    image.setDevicePixelRatio(1.0)
    return image


def render_canvas(widget: QWidget, width: int, *, fill: bool = True) -> tuple[QImage, float]:
    """The blank image :func:`render_png` paints ``widget`` into, and its pixel ratio.

    ``fill=False`` leaves the pixels unset (the export job fills each strip's rows just
    before painting it: filling a 4000-px canvas at once took 30-45 ms on the GUI thread,
    with the interpreter lock held)."""
    if not MIN_WIDTH <= width <= MAX_WIDTH:
        raise ExportError(f"PNG width: {width} px is out of range ({MIN_WIDTH}–{MAX_WIDTH})")
    size = widget.size()
    if size.width() < 2 or size.height() < 2:
        raise ExportError(
            f"{widget.objectName() or type(widget).__name__}: nothing to export "
            "(the panel is not shown)"
        )
    ratio = width / size.width()
    image = QImage(
        QSize(width, max(1, round(size.height() * ratio))),
        QImage.Format.Format_ARGB32_Premultiplied,
    )
    if fill:
        image.fill(widget.palette().window().color())
    image.setDevicePixelRatio(ratio)
    return image, ratio


def save_png(widget: QWidget, path: str | Path, width: int = DEFAULT_WIDTH) -> Path:
    """Write ``widget`` as a PNG ``width`` pixels wide; returns the path written."""
    path = Path(path)
    image = render_png(widget, int(width))
    if not image.save(str(path), "PNG"):
        raise ExportError(f"{path}: cannot write the PNG (check the folder and permissions)")
    return path


def save_svg(widget: QWidget, path: str | Path, title: str = "Conv Explorer") -> Path:
    """Write ``widget`` as an SVG (vector text and lines; images embedded)."""
    path = Path(path)
    size = widget.size()
    if size.width() < 2 or size.height() < 2:
        raise ExportError(f"{path}: nothing to export (the panel is not shown)")
    if not path.parent.is_dir():
        raise ExportError(f"{path}: the folder does not exist")
    generator = QSvgGenerator()
    generator.setFileName(str(path))
    generator.setSize(size)
    generator.setViewBox(QRect(QPoint(0, 0), size))
    generator.setTitle(title)
    painter = QPainter()
    if not painter.begin(generator):
        raise ExportError(f"{path}: cannot write the SVG (check the folder and permissions)")
    widget.render(painter, QPoint(0, 0))
    painter.end()
    return path


class Exporter:
    """The export actions of the window of ``host``."""

    def __init__(self, host: ToolHost) -> None:
        window = host.widget
        self.host = host
        self.window = window  # the parent of the dialogs
        self.width = DEFAULT_WIDTH
        self.job: ExportJob | None = None  # the panel export in progress, if any
        self.menu = QMenu("E&xport", window)
        self.png_actions: dict[str, QAction] = {}
        self.svg_actions: dict[str, QAction] = {}
        for fmt, store in (("png", self.png_actions), ("svg", self.svg_actions)):
            for name, title in PANEL_TITLES.items():
                action = self.menu.addAction(f"{title} as {fmt.upper()}…")
                action.setStatusTip(
                    f"Save the {title.lower()} panel as {fmt.upper()}"
                    + (" at a chosen width" if fmt == "png" else "")
                )
                action.triggered.connect(lambda _=False, n=name, f=fmt: self.export_panel(n, f))
                store[name] = action
            self.menu.addSeparator()
        self.npy_action = self.menu.addAction("Feature Maps as NumPy (.npy)…")
        self.npy_action.setStatusTip("Save the feature maps shown, a (C, H, W) float32 array")
        self.npy_action.triggered.connect(lambda _=False: self.export_maps())
        file_menu, quit_action = host.menu("file"), host.quit_action()
        file_menu.insertMenu(quit_action, self.menu)
        file_menu.insertSeparator(quit_action)

        self.copy_code_action = QAction("Copy as PyTorch &Code", window)
        self.copy_code_action.setShortcut(QKeySequence("Ctrl+Shift+C"))
        self.copy_code_action.setStatusTip(
            "Put a standalone PyTorch script of the stack on "
            "the clipboard (same as `conv-explorer code`)"
        )
        self.copy_code_action.triggered.connect(lambda _=False: self.copy_code())
        # A large scene's script is written on a thread of its own; the newest request wins.
        self.code_runner = LatestRunner(window, own_thread=True)
        self.code_runner.returned.connect(lambda _rev, code: self._put_code(code))
        self.code_runner.errored.connect(
            lambda _rev, err: self.host.report_error("Cannot copy the code", str(err))
        )
        host.menu("edit").addSeparator()
        host.add_action(self.copy_code_action, "edit")

    # ------------------------------------------------------------------ what is exported
    def panel(self, name: str) -> QWidget:
        """The widget of panel ``name`` (``maps``, ``weights``, ``costs``, ``window``)."""
        host = self.host
        panels = {
            "maps": host.maps_view,
            "weights": host.weight_view,
            "costs": host.cost_view,
            "window": host.widget,
        }
        if name not in panels:
            raise ExportError(f"unknown panel {name!r}; expected one of {', '.join(panels)}")
        return panels[name]

    def shown_maps(self) -> np.ndarray:
        """The ``(C, H, W)`` float32 feature maps shown now (as the window chooses them).

        Raises
        ------
        ExportError
            When no maps are shown (not computed yet, or the stack has an error).
        """
        host = self.host
        index = host.selection
        c = host.run
        if index < 0:
            maps = c.input_image
            what = "the input"
        else:
            layers = host.document.layers
            spec = layers[index] if index < len(layers) else None
            result = c.state.result(spec)  # by identity: never a moved layer's old maps
            if result is None or spec is None or result.kind != spec.kind:
                raise ExportError(
                    f"layer {index + 1}: no feature maps to export "
                    "(not computed yet, or the stack has an error)"
                )
            part = host.current_part()
            maps = result.parts[part] if part in result.parts else result.output
            what = f"layer {index + 1}"
        if maps is None:
            raise ExportError(f"{what}: no feature maps to export yet")
        return np.ascontiguousarray(maps, dtype=np.float32)

    def pytorch_code(self) -> str:
        """The scene as a standalone PyTorch script (``conv-explorer code``)."""
        from explorer.core.compute import codegen

        return codegen.scene_code(*self._code_inputs())

    def _code_inputs(self) -> tuple[Scene, tuple[int, ...]]:
        """The scene and its input shape, for :func:`~explorer.core.compute.codegen.scene_code`."""
        c = self.host.run
        if c.error is not None:  # the cost then covers only the layers before the error
            raise ExportError(str(c.error))
        cost = c.cost
        if cost is None:
            raise ExportError("the stack has no costs yet; try again")
        return self.host.document.scene, tuple(cost.input_shape)

    # ------------------------------------------------------------------ actions
    def save_panel(
        self, name: str, path: str | Path, fmt: str = "png", width: int | None = None
    ) -> Path:
        """Write panel ``name`` to ``path`` as ``"png"`` (``width`` px) or ``"svg"``."""
        widget = self.panel(name)
        if fmt == "png":
            return save_png(widget, path, width or self.width)
        if fmt == "svg":
            return save_svg(widget, path, f"Conv Explorer — {PANEL_TITLES[name]}")
        raise ExportError(f"unknown format {fmt!r}; expected png or svg")

    def save_maps(self, path: str | Path) -> Path:
        """``np.save`` the maps shown to ``path``; returns the path written."""
        path = Path(path)
        maps = self.shown_maps()
        try:
            np.save(path, maps)
        except OSError as err:
            raise ExportError(f"{path}: cannot write ({err.strerror or err})") from None
        return path if path.suffix == ".npy" else path.with_name(path.name + ".npy")

    def copy_code(self) -> str | None:
        """Edit ▸ Copy as PyTorch Code; returns the text copied (None on an error, or when
        the scene has more than :data:`CODE_HERE_VALUES` inline weight values or weights
        from a model file: the script is then written on a worker and put on the clipboard
        when it is done, the status bar saying so meanwhile)."""
        from explorer.core.compute import codegen

        try:
            scene, shape = self._code_inputs()
        except ExplorerError as err:
            self.host.report_error("Cannot copy the code", str(err))
            return None
        if _weight_values(scene.layers) > CODE_HERE_VALUES:
            self.host.show_status("Writing the PyTorch script…")
            self.code_runner.submit(codegen.scene_code, scene, shape)
            return None
        code = codegen.scene_code(scene, shape)
        self._put_code(code)
        return code

    def _put_code(self, code: str) -> None:
        QApplication.clipboard().setText(code)
        self.host.show_status(
            f"Copied a PyTorch script of {len(self.host.document.layers)} layer(s)", 5000
        )

    def export_panel(self, name: str, fmt: str) -> ExportJob | None:
        """File ▸ Export ▸ a panel: asks for a file (and a width for PNG), then writes it in
        strips over the event loop, with a progress dialog and Cancel when it takes more than
        100 ms (:class:`~explorer.ui.tools.present.export_job.ExportJob`, returned; ``None`` if the user
        chose nothing)."""
        path = self.ask_path(
            f"Export {PANEL_TITLES[name]} as {fmt.upper()}",
            f"{name}.{fmt}",
            f"{fmt.upper()} images (*.{fmt})",
        )
        if path is None:
            return None
        if fmt == "png":
            width = self.ask_width()
            if width is None:
                return None
            self.width = width
        if path.suffix.lower() != f".{fmt}":
            path = path.with_name(f"{path.name}.{fmt}")
        from explorer.ui.tools.present.export_job import ExportJob

        if self.job is not None and not self.job.done:
            self.job.cancel()  # one export at a time: the newer one wins
        try:
            widget = self.panel(name)
        except ExplorerError as err:
            self.host.report_error("Cannot export", str(err))
            return None
        job = ExportJob(
            widget,
            path,
            fmt,
            width=self.width,
            parent=self.window,
            title=f"Conv Explorer — {PANEL_TITLES[name]}",
        )
        job.error.connect(lambda message: self.host.report_error("Cannot export", message))
        job.finished.connect(self._on_exported)
        self.job = job
        job.start()
        return job

    def _on_exported(self, path: Path | None) -> None:
        if path is not None:
            self.host.show_status(f"Exported {path.name}", 5000)
        elif self.job is not None and self.job.cancelled:
            self.host.show_status("Export cancelled", 5000)

    def export_maps(self) -> Path | None:
        """File ▸ Export ▸ Feature Maps as NumPy."""
        path = self.ask_path("Export Feature Maps", "feature_maps.npy", "NumPy arrays (*.npy)")
        return None if path is None else self._run(lambda: self.save_maps(path))

    def ask_path(self, title: str, name: str, file_filter: str) -> Path | None:
        """Ask where to save (tests replace this)."""
        doc_path = self.host.document.path
        start = str((doc_path.parent if doc_path else Path.home()) / name)
        chosen, _ = QFileDialog.getSaveFileName(self.window, title, start, file_filter)
        return Path(chosen) if chosen else None

    def ask_width(self) -> int | None:
        """Ask the PNG width in pixels (tests replace this)."""
        width, ok = QInputDialog.getInt(
            self.window, "PNG Width", "Width in pixels:", self.width, MIN_WIDTH, MAX_WIDTH, 160
        )
        return width if ok else None

    def _run(self, write) -> Path | None:
        try:
            path = write()
        except ExplorerError as err:
            self.host.report_error("Cannot export", str(err))
            return None
        self.host.show_status(f"Exported {path.name}", 5000)
        return path


def _weight_values(layers: Sequence[LayerSpec]) -> float:
    """How many weight values writing ``layers`` out inline takes (a model file's: infinite,
    it is read first)."""
    total = 0.0
    for spec in layers:
        total += _weight_values(getattr(spec, "layers", None) or ())
        for _target, source in spec.weights:
            if isinstance(source, InlineTensor):
                total += len(source.values)
            elif isinstance(source, ModelTensor):
                total = math.inf
    return total


def install(host: ToolHost) -> Exporter:
    """Add File ▸ Export and Edit ▸ Copy as PyTorch Code to the window of ``host``."""
    return Exporter(host)
