"""A layer's text for cache keys, with hand-set weights by digest instead of by value.

``repr`` of a layer spec writes every value of its inline weights (an
:class:`~explorer.core.model.specs.InlineTensor` holds them as a tuple of floats): for
the 262,144 values a layer may have set by hand that is ~90 ms in ONE C call, which holds
the interpreter lock all along — the GUI thread, asking for it at its next Python call,
then stopped for as long while a run computed the key of each such layer (gaps of 100-230
ms in which the GUI thread ran 2 ms, issue 16). Here the values are hashed from their
bytes once per tensor object (frozen, so they cannot change) and stand for them.
"""

from __future__ import annotations

import hashlib
import threading
import weakref
from dataclasses import fields, is_dataclass

import numpy as np

from explorer.core.model.specs import InlineTensor

__all__ = ["inline_digest", "spec_text"]

#: digest of an InlineTensor by ``id``, with a weak reference that says it is still that one
_DIGESTS: dict[int, tuple[weakref.ref, str]] = {}
_LOCK = threading.Lock()


def inline_digest(tensor: InlineTensor) -> str:
    """A hex digest of ``tensor``'s shape and values (remembered for the object)."""
    key = id(tensor)
    with _LOCK:
        known = _DIGESTS.get(key)
    if known is not None and known[0]() is tensor:
        return known[1]
    h = hashlib.blake2b(repr(tuple(tensor.shape)).encode(), digest_size=16)
    h.update(np.asarray(tensor.values, dtype=np.float64).tobytes())
    digest = h.hexdigest()
    with _LOCK:
        _DIGESTS[key] = (weakref.ref(tensor, lambda _r, k=key: _DIGESTS.pop(k, None)), digest)
    return digest


def spec_text(value: object) -> str:
    """``repr(value)`` for specs and what they hold, but inline weights as a digest."""
    if isinstance(value, InlineTensor):
        return f"InlineTensor(shape={tuple(value.shape)!r}, digest={inline_digest(value)})"
    if is_dataclass(value) and not isinstance(value, type):
        inner = ", ".join(
            f"{f.name}={spec_text(getattr(value, f.name))}" for f in fields(value) if f.repr
        )
        return f"{type(value).__name__}({inner})"
    if isinstance(value, tuple):
        return "(" + "".join(spec_text(v) + ", " for v in value) + ")"
    return repr(value)
