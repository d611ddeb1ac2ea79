"""Cache keys of layers with hand-set weights hash the values' bytes instead of writing
them with repr (one C call holding the interpreter lock for ~90 ms on 262,144 values)."""

from __future__ import annotations

import dataclasses

import numpy as np

from explorer.core.compute.run import _layer_key
from explorer.core.model.spec_text import inline_digest, spec_text
from explorer.core.model.specs import InlineTensor, default_spec


class _NoRepr(tuple):
    """Values that must never be written out whole."""

    def __repr__(self) -> str:
        raise AssertionError("the values were written with repr")


def _with_weights(values: tuple, spec=None):
    spec = spec or default_spec("pointwise", out_channels=2)
    tensor = InlineTensor(shape=(2, 3, 1, 1), values=values)
    return dataclasses.replace(spec, weights=(("weight", tensor),))


def test_the_key_never_writes_the_values_out():
    values = _NoRepr(float(v) for v in np.arange(6))
    key = _layer_key(b"", _with_weights(values), 3, 0, 0, "cpu")
    assert len(key) == 20


def test_equal_values_give_equal_keys_other_values_other_keys():
    a = _with_weights(tuple(float(v) for v in range(6)))
    b = _with_weights(tuple(float(v) for v in range(6)))  # equal, other objects
    c = _with_weights((0.0, 1.0, 2.0, 3.0, 4.0, 5.5))
    key = lambda s: _layer_key(b"", s, 3, 0, 0, "cpu")  # noqa: E731
    assert key(a) == key(b) != key(c)
    assert key(a) != _layer_key(b"", a, 3, 1, 0, "cpu")  # the seed still counts
    wider = dataclasses.replace(a, out_channels=3)
    assert key(wider) != key(a)  # and every other field


def test_spec_text_is_repr_but_for_inline_values():
    spec = default_spec("standard", out_channels=4)
    text = spec_text(spec)
    assert text.startswith(type(spec).__name__ + "(") and "out_channels=4" in text
    tensor = InlineTensor(shape=(1,), values=(2.0,))
    assert inline_digest(tensor) == inline_digest(InlineTensor(shape=(1,), values=(2.0,)))
    assert inline_digest(tensor) != inline_digest(InlineTensor(shape=(1, 1), values=(2.0,)))
    assert "2.0" not in spec_text(tensor)
