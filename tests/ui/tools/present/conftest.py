"""The presentation tests' window (a module's own ``window`` fixture replaces it)."""

from __future__ import annotations

import pytest

from explorer.core.io.scene import InputSpec, Scene
from explorer.core.model.specs import default_spec


@pytest.fixture
def window(make_window):
    scene = Scene(
        input=InputSpec(image="sample:chelsea", size=40),
        layers=(default_spec("standard", out_channels=6), default_spec("pointwise")),
        seed=1,
    )
    win = make_window(scene, size=(780, 700), timeout=60000)
    yield win
    win.tools["presentation"].leave()
