"""An export of a panel as PNG or SVG that never freezes the window, with progress and Cancel.

Painting a panel at 4000 pixels, or into an SVG, can take seconds. :class:`ExportJob` paints the
widget in horizontal strips, one strip per turn of the event loop (each a ``widget.render``
clipped to that strip, onto the same image or SVG painter), so the window keeps repainting;
each strip is timed and, for a PNG, the ones after a slow strip are made thinner (about
:data:`STRIP_TARGET_MS` each; never taller than the first: after cheap empty rows a taller
strip met a paragraph or the chart at 4000 px and took 35-50 ms), each fills its own rows of
the canvas with the background just before it paints (one fill of a 4000-px canvas took
30-45 ms with the interpreter lock held), and a progress dialog with **Cancel** appears once the export has taken 100 ms. A PNG is then
encoded on a worker thread. A cancelled export leaves no file behind.
"""

from __future__ import annotations

import math
import threading
import time
from pathlib import Path

from PySide6.QtCore import QObject, QPoint, QRect, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QImage, QPainter, QRegion
from PySide6.QtSvg import QSvgGenerator
from PySide6.QtWidgets import QGraphicsView, QProgressDialog, QWidget

from explorer.ui.state.worker_priority import lower_this_thread

__all__ = ["STRIP_PIXELS", "STRIP_TARGET_MS", "ExportJob"]

#: Output pixels painted per strip (a PNG; an SVG uses the widget's own pixels).
STRIP_PIXELS = 400_000
#: The progress dialog appears when the export has not finished after this long.
SHOW_AFTER_MS = 100
#: Each strip after the first aims to take about this long to paint: a strip that took
#: longer makes the strips after it thinner (a PNG at 4000 px), one that took much less
#: makes them taller again, up to the first strip's height for a PNG (an SVG's strips are
#: never made thinner: see ``start``).
STRIP_TARGET_MS = 12.0


class ExportJob(QObject):
    """Write ``widget`` to ``path`` as ``fmt`` (``"png"`` at ``width`` px, or ``"svg"``).

    Call :meth:`start`; ``finished`` carries the path written, or ``None`` when the export
    was cancelled or failed (``error`` carries the one-line message first).
    """

    finished = Signal(object)
    error = Signal(str)
    progressed = Signal(int, int)

    def __init__(
        self,
        widget: QWidget,
        path: Path,
        fmt: str,
        *,
        width: int = 1920,
        title: str = "Conv Explorer",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.widget, self.path, self.fmt = widget, Path(path), fmt
        self.width, self.title = int(width), title
        self.cancelled = False
        self.done = False
        #: The path written once the export has ended well; ``None`` otherwise.
        self.result: Path | None = None
        self.strips: list[QRect] = []
        self._next = 0
        self._rows = self._max_rows = self._min_rows = 1  # rows per strip (start, _adapt)
        self._cached_views: list[tuple[QGraphicsView, QGraphicsView.CacheModeFlag]] = []
        self._export_mode: list[object] = []  # scatter items drawing vector symbols (SVG)
        self._height = self._width = 0
        self._painter: QPainter | None = None
        self._image: QImage | None = None
        self._ratio = 1.0  # image pixels per widget pixel (a PNG)
        self._filled = 0  # the image's rows filled with the background so far (a PNG)
        self._generator: QSvgGenerator | None = None
        self._dialog: QProgressDialog | None = None
        self._encoder: threading.Thread | None = None
        self._encoded: bool | None = None
        self._encoder_lock = threading.Lock()
        self._drop_encoded = False  # cancelled while encoding: the encoder removes the file
        self._timer = QTimer(self, interval=0)
        self._timer.timeout.connect(self._step)
        self._started = 0.0

    # ------------------------------------------------------------------ public
    def start(self) -> None:
        """Prepare the target and paint the first strip on the next turn of the loop."""
        from explorer.ui.tools.present.export import ExportError, render_canvas

        size = self.widget.size()
        try:
            if self.fmt == "png":
                self._image, ratio = render_canvas(self.widget, self.width, fill=False)
                self._ratio = ratio
                per_row = max(1, round(size.width() * ratio * ratio))
            elif self.fmt == "svg":
                if size.width() < 2 or size.height() < 2:
                    raise ExportError(f"{self.path}: nothing to export (the panel is not shown)")
                if not self.path.parent.is_dir():
                    raise ExportError(f"{self.path}: the folder does not exist")
                self._generator = QSvgGenerator()
                self._generator.setFileName(str(self.path))
                self._generator.setSize(size)
                self._generator.setViewBox(QRect(QPoint(0, 0), size))
                self._generator.setTitle(self.title)
                per_row = size.width()
                self._uncache_backgrounds()
                self._vector_symbols()
            else:
                raise ExportError(f"unknown format {self.fmt!r}; expected png or svg")
        except ExportError as err:
            self._fail(str(err))
            return
        self._rows = max(1, STRIP_PIXELS // per_row)  # the first strip's height; then timed
        # a PNG's strips never grow past the first: cheap rows (space) say nothing of the
        # next ones (a chart, text drawn at 8x scale), that took 40 ms in one grown strip
        self._max_rows = self._rows if self.fmt == "png" else 4 * self._rows
        # an SVG keeps no clipping: each strip writes every item it touches whole, so thinner
        # strips only repeat a big item (a large map is one image: its PNG encoding took
        # 80-90 ms in a single strip) and make the file larger; its strips stay as planned
        self._min_rows = self._rows if self.fmt == "svg" else 1
        self._height, self._width = size.height(), size.width()
        self.strips = self._plan(0)
        painter = QPainter()
        target = self._image if self._image is not None else self._generator
        if not painter.begin(target):
            self._fail(
                f"{self.path}: cannot write the {self.fmt.upper()} "
                "(check the folder and permissions)"
            )
            return
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setRenderHint(QPainter.RenderHint.TextAntialiasing)
        self._painter = painter
        self._started = time.perf_counter()
        self._timer.start()

    def cancel(self) -> None:
        """Stop now; nothing is left on disk."""
        if self.done:
            return
        self.cancelled = True
        self._finish(None)

    def wait(self, timeout_s: float = 60.0) -> Path | None:
        """Run the loop until the export ends (tests); returns what ``finished`` carried."""
        from PySide6.QtWidgets import QApplication

        end = time.perf_counter() + timeout_s
        while not self.done and time.perf_counter() < end:
            QApplication.processEvents()
            time.sleep(0.002)
        return self.result

    # ------------------------------------------------------------------ internals
    def _step(self) -> None:
        if self._encoder is not None:  # waiting for the PNG encoder
            if self._encoded is not None:
                self._timer.stop()
                if self._encoded:
                    self._finish(self.path)
                else:
                    self._fail(
                        f"{self.path}: cannot write the PNG (check the folder and permissions)"
                    )
            return
        if self._next < len(self.strips):
            rect = self.strips[self._next]
            assert self._painter is not None
            start = time.perf_counter()
            if self._image is not None:
                self._fill_ahead(rect)
            self.widget.render(self._painter, rect.topLeft(), QRegion(rect))
            self._next += 1
            self._adapt(rect.height(), (time.perf_counter() - start) * 1000)
            self.progressed.emit(self._next, len(self.strips))
            self._show_progress()
            return
        assert self._painter is not None
        self._painter.end()
        self._painter = None
        if self._image is None:  # SVG: ending the painter wrote the file
            self._timer.stop()
            self._finish(self.path)
            return
        image, self._image = self._image, None  # the encoder's now (and frees it there)
        image.setDevicePixelRatio(1.0)
        self._timer.setInterval(15)

        path, lock = self.path, self._encoder_lock

        def encode() -> None:
            lower_this_thread()  # below the GUI thread, as every worker (worker_priority)
            encoded = bool(image.save(str(path), "PNG"))
            with lock:  # cancelled meanwhile: the GUI thread left the file to us
                self._encoded = encoded
                if self._drop_encoded:
                    path.unlink(missing_ok=True)

        self._encoder = threading.Thread(target=encode, name="png-encoder", daemon=True)
        self._encoder.start()

    def _fill_ahead(self, rect: QRect) -> None:
        """Fill the image's rows with the panel's background down to a little below
        ``rect`` (the strip about to be painted, whose antialiased bottom edge may touch
        the next rows), never rows filled before: those may hold painted pixels."""
        assert self._image is not None and self._painter is not None
        height = self._image.height()
        below = math.ceil((rect.y() + rect.height() + 1) * self._ratio) + 2
        end = min(height, below)
        if end <= self._filled:
            return
        painter, ratio = self._painter, self._ratio
        painter.save()
        painter.resetTransform()  # widget pixels (the image's pixel ratio stays)
        painter.setClipping(False)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        painter.setCompositionMode(QPainter.CompositionMode.CompositionMode_Source)
        # from one row above the rows left: a rounding may not leave a row unfilled (that
        # row lies in the margin filled last time, below anything painted yet)
        top = max(0, self._filled - 1)
        painter.fillRect(
            QRectF(0, top / ratio, self._image.width() / ratio + 1, (end - top) / ratio),
            self.widget.palette().window().color(),
        )
        painter.restore()
        self._filled = end

    def _uncache_backgrounds(self) -> None:
        """An SVG keeps no clipping: a view's cached background (pyqtgraph caches it) was
        written whole, opaque, on every strip, over the strips before it (the exported maps
        showed only the last strip's tiles). Without the cache each strip fills its own
        rows; put back in :meth:`_finish`."""
        for view in [self.widget, *self.widget.findChildren(QGraphicsView)]:
            if isinstance(view, QGraphicsView) and view.cacheMode():
                self._cached_views.append((view, view.cacheMode()))
                view.setCacheMode(QGraphicsView.CacheModeFlag.CacheNone)

    def _vector_symbols(self) -> None:
        """pyqtgraph draws a scatter's symbols as fragments of one cached pixmap: into an
        SVG each point became an image of its own, PNG-encoded on the GUI thread (twice the
        time and 1.5x the file of vector symbols, for 300 points; measured). In pyqtgraph's
        export mode (its own exporters use it) each symbol is a path; put back in
        :meth:`_finish`."""
        import pyqtgraph as pg

        for view in [self.widget, *self.widget.findChildren(QGraphicsView)]:
            scene = view.scene() if isinstance(view, QGraphicsView) else None
            if scene is None:
                continue
            for item in scene.items():
                if isinstance(item, pg.ScatterPlotItem) and item._exportOpts is False:
                    item.setExportMode(True, {"antialias": True})
                    self._export_mode.append(item)

    def _plan(self, top: int) -> list[QRect]:
        """Strips of :attr:`_rows` rows from row ``top`` to the bottom."""
        rows, height = self._rows, self._height
        return [QRect(0, y, self._width, min(rows, height - y)) for y in range(top, height, rows)]

    def _adapt(self, rows: int, took_ms: float) -> None:
        """After a strip of ``rows`` rows took ``took_ms``: size the strips left so each
        takes about :data:`STRIP_TARGET_MS` (at most twice as tall as the last; a PNG's at
        most as tall as the first, an SVG's four times and never thinner)."""
        if self._next >= len(self.strips) or took_ms <= 0:
            return
        wanted = int(rows * min(2.0, STRIP_TARGET_MS / took_ms))
        wanted = max(self._min_rows, min(wanted, self._max_rows))
        if wanted == self._rows:
            return
        self._rows = wanted
        self.strips[self._next :] = self._plan(self.strips[self._next].top())
        if self._dialog is not None:
            self._dialog.setMaximum(len(self.strips) + 1)

    def _show_progress(self) -> None:
        elapsed_ms = (time.perf_counter() - self._started) * 1000
        if self._dialog is None and elapsed_ms > SHOW_AFTER_MS:
            parent = self.parent() if isinstance(self.parent(), QWidget) else None
            dialog = QProgressDialog(
                f"Exporting {self.path.name}…", "Cancel", 0, len(self.strips) + 1, parent
            )
            dialog.setObjectName("ExportProgress")
            dialog.setWindowModality(Qt.WindowModality.WindowModal)
            dialog.setMinimumDuration(0)
            dialog.setAutoClose(False)
            dialog.setAutoReset(False)
            dialog.canceled.connect(self.cancel)
            dialog.show()
            self._dialog = dialog
        if self._dialog is not None:
            self._dialog.setValue(self._next)

    def _fail(self, message: str) -> None:
        self.error.emit(message)
        self._finish(None)

    def _finish(self, result: Path | None) -> None:
        self.done, self.result = True, result
        self._timer.stop()
        if self._painter is not None:
            self._painter.end()
            self._painter = None
        for view, mode in self._cached_views:
            view.setCacheMode(mode)
        self._cached_views = []
        for item in self._export_mode:
            item.setExportMode(False)  # type: ignore[attr-defined]
        self._export_mode = []
        if self._dialog is not None:
            self._dialog.canceled.disconnect(self.cancel)
            self._dialog.close()
            self._dialog.deleteLater()
            self._dialog = None
        if result is None and self.cancelled:
            self._remove_partial()
        self.finished.emit(result)

    def _remove_partial(self) -> None:
        if self._encoder is not None:
            with self._encoder_lock:  # never wait for the encoder on the GUI thread
                self._drop_encoded = True
                encoding = self._encoded is None
            if encoding:
                return  # the encoder removes its file when it ends
        if self._generator is not None or self._encoder is not None:
            self.path.unlink(missing_ok=True)
