"""Fixtures shared by the state tests."""

from __future__ import annotations

import pytest

from explorer.ui.state.runner import LatestRunner


@pytest.fixture
def runner(qtbot):
    """A :class:`LatestRunner` whose signals are recorded, in order, in ``runner.events``
    as ``(signal name, *arguments)``; shut down after the test."""
    r = LatestRunner()
    events: list[tuple] = []
    for name in ("started", "yielded", "returned", "errored", "finished", "busy_changed"):
        getattr(r, name).connect(lambda *args, n=name: events.append((n, *args)))
    r.events = events
    yield r
    r.shutdown()
