"""Evaluate ONNX nodes whose inputs are all constants (shape arithmetic that exporters
write, e.g. the pads of ``torch.nn.functional.pad``), so the matcher sees plain constants."""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["fold_constant"]

_CAST = {
    1: np.float32,
    2: np.uint8,
    3: np.int8,
    6: np.int32,
    7: np.int64,
    9: np.bool_,
    10: np.float16,
    11: np.float64,
}


def _reshape(x: np.ndarray, shape: np.ndarray) -> np.ndarray:
    dims = [int(x.shape[i]) if int(s) == 0 else int(s) for i, s in enumerate(shape)]
    return x.reshape(dims)


def _slice(x: np.ndarray, starts, ends, axes=None, steps=None) -> np.ndarray:
    axes = list(range(len(starts))) if axes is None else [int(a) for a in axes]
    steps = [1] * len(starts) if steps is None else [int(s) for s in steps]
    index = [slice(None)] * x.ndim
    for a, s, e, st in zip(axes, starts, ends, steps, strict=True):
        big = np.iinfo(np.int64).max // 2
        e = None if (st > 0 and e >= big) or (st < 0 and e <= -big) else int(e)
        index[a] = slice(int(s), e, st)
    return x[tuple(index)]


def fold_constant(
    op: str, inputs: list[np.ndarray | None], attrs: dict[str, Any]
) -> np.ndarray | None:
    """The output of ``op`` on constant ``inputs`` (``None`` for an absent optional one), or
    ``None`` when this op is not evaluated here."""
    x = inputs[0] if inputs else None
    try:
        if op == "ConstantOfShape":
            value = attrs.get("value")
            fill = np.zeros(1, np.float32) if value is None else value
            return np.full([int(s) for s in x], fill.reshape(-1)[0], dtype=fill.dtype)
        if op == "Shape":
            return np.asarray(x.shape, dtype=np.int64)
        if op == "Concat":
            return np.concatenate(inputs, axis=int(attrs.get("axis", 0)))
        if op == "Reshape":
            return _reshape(x, inputs[1])
        if op == "Slice":
            rest = [None if v is None else v.reshape(-1) for v in inputs[1:]] + [None] * 4
            return _slice(x, rest[0], rest[1], rest[2], rest[3])
        if op == "Transpose":
            perm = attrs.get("perm")
            return np.transpose(x, None if perm is None else [int(p) for p in perm])
        if op == "Cast":
            return x.astype(_CAST[int(attrs["to"])])
        if op == "Gather":
            return np.take(x, inputs[1], axis=int(attrs.get("axis", 0)))
        if op in ("Unsqueeze", "Squeeze"):
            axes = attrs.get("axes") if len(inputs) < 2 or inputs[1] is None else inputs[1]
            if op == "Squeeze":
                return np.squeeze(x, None if axes is None else tuple(int(a) for a in axes))
            out = x
            for a in sorted(int(a) % (x.ndim + len(axes)) for a in axes):
                out = np.expand_dims(out, a)
            return out
        if (
            op in ("Add", "Sub", "Mul", "Div")
            and x.dtype.kind in "iu"
            and inputs[1].dtype.kind in "iu"
        ):
            a, b = x, inputs[1]
            return {"Add": a + b, "Sub": a - b, "Mul": a * b, "Div": np.floor_divide(a, b)}[op]
        if op in ("Add", "Sub", "Mul", "Div"):
            a, b = x.astype(np.float32), inputs[1].astype(np.float32)
            return {"Add": a + b, "Sub": a - b, "Mul": a * b, "Div": a / b}[op]
        if op == "Identity":
            return x
    except (ValueError, IndexError, KeyError, TypeError, AttributeError):
        return None
    return None
