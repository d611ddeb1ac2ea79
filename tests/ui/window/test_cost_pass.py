"""An edit's costs are shown in the pass after it, once (issue 16: the cost table and
chart refilled inside the edit's own turn, on top of its form and maps)."""

from __future__ import annotations

from PySide6.QtCore import QTimer

from explorer.core.io.scene import Scene
from explorer.core.model.specs import default_spec
from explorer.ui.window.cost_pass import CostPass


def _scene() -> Scene:
    return Scene(
        layers=(
            default_spec("standard", out_channels=8),
            default_spec("standard", out_channels=10),
        ),
        seed=2,
    )


def test_costs_asked_for_in_one_pass_are_shown_once_with_the_newest(qtbot):
    shown: list[tuple] = []
    costs = CostPass(lambda c, k: shown.append((c, k)))
    for n in (1, 2, 3):
        costs.request(n, [n])
    assert shown == [] and costs.pending  # not inside the turn that asked
    qtbot.waitUntil(lambda: not costs.pending, timeout=2000)
    assert shown == [(3, [3])] and costs.shown == 1


def test_the_refill_waits_for_a_timer_pass_not_a_posted_event(qtbot):
    """A zero single shot posted in the edit's turn runs in the same pass as posted events;
    the refill must come after it (a real timer), so a paint can come in between."""
    order: list[str] = []
    costs = CostPass(lambda *_: order.append("costs"))
    costs.request(1, [])
    QTimer.singleShot(0, lambda: order.append("posted"))
    qtbot.waitUntil(lambda: len(order) == 2, timeout=2000)
    assert order == ["posted", "costs"]


def test_costs_wait_for_the_edits_run_until_resumed_or_the_longest_hold(qtbot):
    """Refilled between the run's start and its maps' paint, the costs added to issue 13's
    latency: they wait while the run is on its way, then come in the pass after resume()."""
    shown: list[int] = []
    running = [True]
    costs = CostPass(lambda c, _k: shown.append(c), hold=lambda: running[0], max_hold_ms=5000)
    costs.request(1, [])
    qtbot.wait(60)
    assert shown == [] and costs.pending  # held: the run is on its way
    running[0] = False
    costs.resume()  # the maps are drawn
    assert shown == []  # in a later pass, not inside the caller's
    qtbot.waitUntil(lambda: shown == [1], timeout=2000)
    # a run that never ends still lets the costs through after max_hold_ms
    running[0] = True
    late = CostPass(lambda c, _k: shown.append(c), hold=lambda: running[0], max_hold_ms=50)
    late.request(2, [])
    qtbot.waitUntil(lambda: shown == [1, 2], timeout=2000)
    assert not late.pending


def test_an_edits_own_turn_does_not_refill_the_cost_chart_the_next_pass_does_once(
    make_window, qtbot
):
    win = make_window(_scene())
    view = win.cost_view
    fills = {"table": 0, "chart": 0}
    table, chart = view._fill_table, view._fill_chart

    def count_table() -> None:
        fills["table"] += 1
        table()

    def count_chart() -> None:
        fills["chart"] += 1
        chart()

    view._fill_table, view._fill_chart = count_table, count_chart
    doc = win.document
    doc.select(0)
    fills.update(table=0, chart=0)
    spin = win.layer_editor.controls["out_channels"]
    spin.setValue(12)  # the user's edit: its own turn
    assert fills == {"table": 0, "chart": 0}
    assert spin.value() == 12 and doc.layers[0].out_channels == 12  # the field at once
    qtbot.waitUntil(lambda: not win.cost_pass.pending, timeout=2000)
    assert fills["table"] == 1 and fills["chart"] >= 1
    assert win.cost_pass.shown >= 1
    macs = view.table.item(0, 4).data(0x0100)  # UserRole: the number
    assert macs == win.controller.cost.layers[0].macs  # the newest costs


def test_an_error_in_the_same_pass_shows_over_the_newest_costs(make_window, qtbot):
    win = make_window(_scene())
    doc = win.document
    doc.replace_layer(0, doc.layers[0].with_changes(out_channels=12))
    assert win.cost_pass.pending
    doc.replace_layer(1, doc.layers[1].with_changes(groups=5))  # 12 is not divisible by 5
    assert not win.cost_pass.pending  # shown first, under the error
    assert "groups" in win.cost_view.error_text()
    qtbot.wait(50)
    assert "groups" in win.cost_view.error_text()  # nothing older painted over it
