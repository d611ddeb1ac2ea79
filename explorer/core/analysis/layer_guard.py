"""Checks before anything builds one layer or allocates for its weights outside a run.

A run is guarded by :func:`explorer.core.analysis.memory.check_memory`; the weight tools (hand edits,
the table, presets) build or allocate a single layer's tensors. :func:`guard_layer` is their
guard: the stack up to that layer must be valid (so nothing builds a layer whose groups do
not divide its channels), its tensors must fit in memory, and a tensor set by hand must be
small enough to be stored inline in a scene file.
"""

from __future__ import annotations

from collections.abc import Sequence

from explorer.core.analysis.costs import BYTES_PER_VALUE, StackCost, stack_cost
from explorer.core.analysis.memory import ENV_VAR, format_bytes, memory_limit_bytes
from explorer.core.errors import ResourceError, SpecError
from explorer.core.model.specs import LayerSpec

__all__ = ["MAX_EDIT_VALUES", "guard_layer", "guard_stack_weights"]

#: Most values one layer may have for its weights to be set by hand (a preset, a cell, the
#: table): they are stored inline in the scene as JSON text (about 20 bytes and 1.3 µs to
#: write per value), and a scene file is at most 64 MiB. 262,144 is a 512×512 matrix or
#: 128×128 3×3 kernels; bigger layers take their weights from a checkpoint.
MAX_EDIT_VALUES = 262_144
#: Copies of the weights alive while a layer's weights are read: the module's parameters,
#: the numpy copy, and the float64 working copy of an edit.
_COPIES = 4


def guard_layer(
    input_shape: Sequence[int],
    layers: Sequence[LayerSpec],
    index: int,
    *,
    edit: bool = True,
    limit_bytes: int | None = None,
) -> int:
    """Check that layer ``index`` of ``layers`` may be built (and, with ``edit``, have its
    weights set by hand); return its input channels.

    Raises
    ------
    SpecError
        The stack up to ``index`` is invalid (the first error, naming its layer and field), or
        (``edit``, field ``weights``) the layer has more than :data:`MAX_EDIT_VALUES` weights.
    ResourceError
        Its weights would not fit in the memory limit.
    """
    if not 0 <= index < len(layers):
        raise SpecError(f"there is no layer {index + 1}")
    cost = stack_cost(tuple(int(s) for s in input_shape), tuple(layers[: index + 1]))
    layer = cost.layers[index]
    values = int(layer.params)
    limit = memory_limit_bytes() if limit_bytes is None else int(limit_bytes)
    need = _COPIES * values * BYTES_PER_VALUE
    if need > limit:
        raise ResourceError(
            f"layer {index + 1} ({layer.kind}) has {values:,} weights: reading them needs about "
            f"{format_bytes(need)}, more than the limit of {format_bytes(limit)}"
        )
    if edit and values > MAX_EDIT_VALUES:
        raise SpecError(
            f"{values:,} weights are too many to set by hand (at most {MAX_EDIT_VALUES:,}); "
            "import them from a checkpoint instead",
            layer=index,
            field="weights",
            kind=layer.kind,
        )
    return int(layer.parts[0].input_shape[0])


def guard_stack_weights(cost: StackCost, limit_bytes: int | None = None) -> int:
    """Check that every layer of ``cost``'s stack may be built without running it (what
    ``conv-explorer stats`` does to read a scene's checkpoint weights); return the bytes.

    Building makes each layer's parameters, and a checkpoint's tensors are read next to
    them: two copies of the weights (a run adds its activations:
    :func:`explorer.core.analysis.memory.check_memory`).

    Raises
    ------
    ResourceError
        In one line, when they would not fit in the memory limit.
    """
    limit = memory_limit_bytes() if limit_bytes is None else int(limit_bytes)
    need = 2 * int(cost.params) * BYTES_PER_VALUE
    if need > limit:
        raise ResourceError(
            f"building this stack's {cost.params:,} weights needs about {format_bytes(need)}, "
            f"more than the limit of {format_bytes(limit)} — set {ENV_VAR} to change it"
        )
    return need
