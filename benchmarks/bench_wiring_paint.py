"""Paint of the Wiring dock's diagram: the earlier drawing against the current one (issue 16).

On its own (not part of ``run.py``)::

    QT_QPA_PLATFORM=offscreen python benchmarks/bench_wiring_paint.py --repeats 10

For each layer (pointwise 32→32 and 64→64, standard 8→64, grouped 64→64 in 4 groups,
depthwise ×2 of 32 channels, separable 32→64→64) a :class:`WiringView` of the dock's size at
1920×1080 (``--size``) draws the layer, then its graphics view is painted
(the paint pass that its redraw asks for, run by ``processEvents``, with the update region
Qt makes of it):

* ``first``: the paint right after ``set_stages`` (what a user waits for when the selected
  layer changes);
* ``again``: the whole view repainted with nothing changed (the window uncovered or
  repainted as a whole).

Baseline, in the same process, alternated with the current drawing: the earlier drawing
(translucent lines, anti-aliased up to 1,500 of them, the graphics view repainting the
exact areas that changed: a region of several rectangles), set with the view's
``opaque_lines`` and ``max_antialiased`` and its graphics view's update mode. Ratios are
current ÷ earlier
medians; GUI-thread CPU time (``time.thread_time``), so that other work on the machine
counts less.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_common import emit, summarize  # noqa: E402

EARLIER = {"opaque_lines": False, "max_antialiased": 1500}
#: the earlier drawing repainted only the exact areas that changed
EARLIER_UPDATE = "MinimalViewportUpdate"


def _cases() -> dict:
    from explorer.core.model.specs import default_spec

    return {
        "pointwise_32": (default_spec("pointwise", out_channels=32), 32),
        "pointwise_64": (default_spec("pointwise", out_channels=64), 64),
        "standard_8_64": (default_spec("standard", out_channels=64), 8),
        "grouped_64_g4": (default_spec("standard", out_channels=64, groups=4), 64),
        "depthwise_32x2": (default_spec("depthwise", multiplier=2), 32),
        "separable_32_64": (default_spec("separable", out_channels=64, multiplier=2), 32),
    }


def _view(size: tuple[int, int], settings: dict, update: str | None):
    from PySide6.QtWidgets import QGraphicsView

    from explorer.ui.tools.wiring_view import WiringView

    view = WiringView()
    for name, value in settings.items():
        setattr(view, name, value)
    if update is not None:
        view.view.setViewportUpdateMode(getattr(QGraphicsView.ViewportUpdateMode, update))
    view.resize(*size)
    view.show()
    return view


def _painted(app, view) -> int:
    """Run the pending paint pass; the number of paint events the view's viewport had."""
    from PySide6.QtCore import QEvent, QObject

    class Count(QObject):
        n = 0

        def eventFilter(self, obj, event):  # noqa: N802 - Qt's name
            if event.type() == QEvent.Type.Paint:
                Count.n += 1
            return False

    counter = Count()
    viewport = view.view.viewport()
    viewport.installEventFilter(counter)
    app.processEvents()
    viewport.removeEventFilter(counter)
    return Count.n


def measure(repeats: int, size: tuple[int, int]) -> dict:
    from PySide6.QtWidgets import QApplication

    from explorer.core.analysis.wiring import channel_wiring

    app = QApplication.instance() or QApplication(sys.argv[:1])
    views = {"earlier": _view(size, EARLIER, EARLIER_UPDATE), "current": _view(size, {}, None)}
    app.processEvents()
    result: dict = {}
    for case, (spec, c_in) in _cases().items():
        stages = channel_wiring(spec, c_in)
        other = channel_wiring(spec.with_changes(groups=1) if spec.kind == "standard" else spec, 12)
        times: dict = {(m, k): [] for m in views for k in ("first", "again")}
        for i in range(repeats + 1):  # the first round warms up
            for mode, view in views.items():
                # another diagram in between, so that every "first" really draws anew
                view.set_stages(other, title="other")
                app.processEvents()
                view.set_stages(stages, title=case)
                t0 = time.thread_time()
                first = _painted(app, view)  # the paint pass the redraw asked for
                t1 = time.thread_time()
                view.view.viewport().update()  # the whole window repainted, nothing changed
                again = _painted(app, view)
                t2 = time.thread_time()
                assert first and again, "the view was not painted"
                if i:
                    times[mode, "first"].append(t1 - t0)
                    times[mode, "again"].append(t2 - t1)
        row = {f"{m}_{k}": summarize(v) for (m, k), v in times.items()}
        for k in ("first", "again"):
            row[f"ratio_{k}"] = row[f"current_{k}"]["median_ms"] / max(
                row[f"earlier_{k}"]["median_ms"], 1e-6
            )
        row["lines"] = sum(int(s.connectivity[:64, :64].sum()) for s in stages)
        result[case] = row
        print(
            f"{case:16s} {row['lines']:5d} lines  first {row['earlier_first']['median_ms']:6.1f}"
            f" → {row['current_first']['median_ms']:5.1f} ms (×{row['ratio_first']:.2f})"
            f"  again {row['earlier_again']['median_ms']:6.1f} → "
            f"{row['current_again']['median_ms']:5.1f} ms (×{row['ratio_again']:.2f})",
            flush=True,
        )
    for view in views.values():
        view.close()
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--size", type=int, nargs=2, default=(534, 583), metavar=("W", "H"))
    args = parser.parse_args(argv)
    result = {"bench": "wiring_paint", "size": list(args.size)}
    result.update(measure(args.repeats, tuple(args.size)))
    emit(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
