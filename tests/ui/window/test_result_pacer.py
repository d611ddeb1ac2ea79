"""Results are drawn in the pass after they arrive, once, and not when an edit in the same
pass has made them old (issue 16: a result's draw and the next edit were one 45-65 ms gap)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from PySide6.QtCore import QTimer

from explorer.core.analysis.map_ranges import channel_ranges
from explorer.core.io.scene import InputSpec, Scene
from explorer.core.model.specs import default_spec
from explorer.ui.window.result_pacer import ResultPacer


def _pacer(qtbot, superseded=lambda _rev: False, **kw):
    drawn: list[int] = []
    holder = {}

    def draw() -> None:
        drawn.append(1)
        holder["pacer"].drawn()

    pacer = ResultPacer(draw, superseded, **kw)
    holder["pacer"] = pacer
    return pacer, drawn


def test_requests_in_one_pass_are_drawn_once_in_the_next_pass(qtbot):
    pacer, drawn = _pacer(qtbot)
    for revision in (3, 3, 4):
        pacer.request(revision)
    assert drawn == [] and pacer.pending  # not inside the pass the results came in
    qtbot.waitUntil(lambda: not pacer.pending, timeout=2000)
    assert drawn == [1] and pacer.draws == 1


def test_a_superseded_draw_is_skipped_and_made_good_once_idle(qtbot):
    latest = [1]
    pacer, drawn = _pacer(qtbot, superseded=lambda rev: rev < latest[0])
    pacer.request(1)
    latest[0] = 2  # an edit in the same pass: revision 1 is old, its run on its way
    qtbot.waitUntil(lambda: not pacer.pending, timeout=2000)
    assert drawn == [] and pacer.skipped == 1 and pacer.owed
    pacer.on_busy(True)
    assert not pacer.pending
    pacer.on_busy(False)  # the newer run failed or was cancelled: draw what there is
    qtbot.waitUntil(lambda: not pacer.pending, timeout=2000)
    assert drawn == [1] and not pacer.owed


def test_a_stream_of_superseding_edits_still_draws(qtbot):
    """A drag whose every run is superseded before its result is drawn: skips stop after
    ``max_skip_ms`` and one draw is made."""
    latest = [0]
    pacer, drawn = _pacer(qtbot, superseded=lambda rev: rev < latest[0], max_skip_ms=20)
    for _ in range(200):
        pacer.request(latest[0])
        latest[0] += 1
        qtbot.wait(2)
        if drawn:
            break
    assert drawn and pacer.skipped >= 1


def test_a_draw_made_directly_cancels_the_one_asked_for(qtbot):
    pacer, drawn = _pacer(qtbot)
    pacer.request(1)
    pacer.drawn()  # the window drew anyway (a selection): the result is on screen
    qtbot.wait(20)
    assert drawn == [] and not pacer.pending


# ---------------------------------------------------------------------- in the window
@pytest.fixture
def window(make_window):
    layers = (default_spec("standard", out_channels=4), default_spec("depthwise"))
    win = make_window(Scene(input=InputSpec(shape=(3, 20, 20)), layers=layers))
    win.document.select(0)
    return win


def _spy_maps(win, monkeypatch) -> list[np.ndarray]:
    shown: list[np.ndarray] = []
    real = win.feature_grid.set_maps

    def spy(maps, *args, **kwargs):
        shown.append(maps)
        return real(maps, *args, **kwargs)

    monkeypatch.setattr(win.feature_grid, "set_maps", spy)
    return shown


def _fake(result, factor: float):
    out = np.ascontiguousarray(result.output * np.float32(factor))
    parts = {k: out for k in result.parts}
    return dataclasses.replace(
        result, output=out, parts=parts, ranges={k: channel_ranges(out) for k in parts}
    )


def _deliver(win, results) -> None:
    c = win.controller
    for result in results:
        c._on_yielded(c.revision, ("layer", c.revision, result))  # as the relay does


def _settled(qtbot, win) -> None:
    c = win.controller
    qtbot.waitUntil(
        lambda: not c.busy and not c.worker_running and not win.pacer.pending, timeout=30000
    )


def test_a_result_made_old_by_an_edit_in_the_same_pass_is_not_drawn(qtbot, window, monkeypatch):
    win, c = window, window.controller
    shown = _spy_maps(win, monkeypatch)
    old = _fake(c.results[0], 2.0)
    spec = win.document.layers[0]

    def result_then_edit() -> None:  # one pass: the relay's batch, then the user's edit
        _deliver(win, [old])
        win.document.replace_layer(0, dataclasses.replace(spec, kernel_size=(5, 5)))

    QTimer.singleShot(0, result_then_edit)
    qtbot.waitUntil(lambda: c.results[0].weights["weight"].shape[-1] == 5, timeout=30000)
    _settled(qtbot, win)
    assert len(shown) == 1  # the old code drew the old result first, then the new one
    assert shown[0] is c.results[0].output and shown[0] is not old.output


def test_three_results_in_one_pass_are_drawn_once_the_last(qtbot, window, monkeypatch):
    win, c = window, window.controller
    shown = _spy_maps(win, monkeypatch)
    results = [_fake(c.results[0], f) for f in (2.0, 3.0, 4.0)]
    QTimer.singleShot(0, lambda: _deliver(win, results))
    qtbot.waitUntil(lambda: bool(shown), timeout=5000)
    _settled(qtbot, win)
    assert len(shown) == 1 and shown[0] is results[-1].output


def test_a_result_skipped_for_a_run_that_is_then_cancelled_is_drawn(qtbot, window, monkeypatch):
    win, c = window, window.controller
    shown = _spy_maps(win, monkeypatch)
    new = _fake(c.results[0], 2.0)
    spec = win.document.layers[0]
    c.hold()  # the edit's run waits: the result stays superseded until the cancel

    def result_then_edit() -> None:
        _deliver(win, [new])
        win.document.replace_layer(0, dataclasses.replace(spec, kernel_size=(5, 5)))

    QTimer.singleShot(0, result_then_edit)
    qtbot.waitUntil(lambda: win.pacer.owed, timeout=5000)
    assert shown == []
    c.cancel()  # Esc: no newer result is coming, so the latest one there is is drawn
    qtbot.waitUntil(lambda: bool(shown), timeout=5000)
    assert shown[-1] is new.output and not win.pacer.owed


def test_a_result_followed_by_a_refused_edit_is_drawn(qtbot, window, monkeypatch):
    win, c = window, window.controller
    shown = _spy_maps(win, monkeypatch)
    new = _fake(c.results[0], 2.0)
    spec = win.document.layers[0]

    def result_then_bad_edit() -> None:  # the last valid result stays on screen
        _deliver(win, [new])
        bad = dataclasses.replace(spec, kernel_size=(99, 99), padding=(0, 0))
        win.document.replace_layer(0, bad)

    QTimer.singleShot(0, result_then_bad_edit)
    qtbot.waitUntil(lambda: c.error is not None and bool(shown), timeout=5000)
    assert shown[-1] is new.output
