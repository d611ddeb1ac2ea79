"""The controller's input: the same read-only array while nothing changed (so a run does
not hash it again), a new one when the spec, the seed or the image file changes."""

from __future__ import annotations

import os

import numpy as np
from PIL import Image

from explorer.core.io.inputs import resolve_input
from explorer.core.io.scene import InputSpec
from explorer.ui.state.controller import _default_resolve_input


def test_same_array_until_something_changes(tmp_path):
    path = tmp_path / "a.png"
    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(path)
    spec = InputSpec(image=str(path))
    a = _default_resolve_input(spec, 0)
    assert not a.flags.writeable
    assert _default_resolve_input(spec, 0) is a
    np.testing.assert_array_equal(a, resolve_input(spec, 0))
    Image.fromarray(np.full((8, 8, 3), 255, np.uint8)).save(path)
    os.utime(path, ns=(1, 10**18))  # a new modification time
    b = _default_resolve_input(spec, 0)
    assert b is not a and b.max() > a.max()
    shape = InputSpec(shape=(2, 4, 4))
    r1 = _default_resolve_input(shape, 1)
    assert _default_resolve_input(shape, 1) is r1
    assert not np.array_equal(_default_resolve_input(shape, 2), r1)
