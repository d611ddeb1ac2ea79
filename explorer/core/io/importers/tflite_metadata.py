"""The input range a TFLite model declares in its metadata (``TFLITE_METADATA``).

TensorFlow Lite Support's metadata (``metadata_schema.fbs``, file identifier ``M001``) is a
second flatbuffer stored in one of the model's buffers. Its first subgraph's first input
tensor may carry a ``NormalizationOptions`` process unit: per-channel ``mean`` and ``std``
for pixel values in [0, 255], the model's input being ``(x − mean) / std``. The ``tflite``
package has no classes for this schema, so the few fields needed are read with
``flatbuffers``' generic table access (field slot numbers from the schema).
"""

from __future__ import annotations

import math
import struct
from typing import Any

__all__ = ["metadata_input_range"]

# slot numbers in metadata_schema.fbs
_MODEL_SUBGRAPHS = 3  # ModelMetadata.subgraph_metadata
_SUBGRAPH_INPUTS = 2  # SubGraphMetadata.input_tensor_metadata
_TENSOR_PROCESS_UNITS = 4  # TensorMetadata.process_units
_UNIT_TYPE, _UNIT_OPTIONS = 0, 1  # ProcessUnit.options (a union: type, then table)
_NORMALIZATION = 1  # ProcessUnitOptions.NormalizationOptions
_MEAN, _STD = 0, 1  # NormalizationOptions.mean, .std

Range = tuple[tuple[float, ...], tuple[float, ...]]


def _offset(t: Any, slot: int) -> int:
    return t.Offset(4 + 2 * slot)


def _tables(t: Any, slot: int) -> list[Any]:
    from flatbuffers.table import Table

    o = _offset(t, slot)
    if not o:
        return []
    start = t.Vector(o)
    return [Table(t.Bytes, t.Indirect(start + 4 * i)) for i in range(t.VectorLen(o))]


def _floats(t: Any, slot: int) -> tuple[float, ...]:
    o = _offset(t, slot)
    if not o:
        return ()
    n = t.VectorLen(o)
    return struct.unpack_from(f"<{n}f", t.Bytes, t.Vector(o))


def _normalization(data: bytes) -> Range | None:
    from flatbuffers import encode, packer
    from flatbuffers.table import Table

    if len(data) < 8 or data[4:8] != b"M001":
        return None
    buf = bytearray(data)
    root = Table(buf, encode.Get(packer.uoffset, buf, 0))
    subgraphs = _tables(root, _MODEL_SUBGRAPHS)
    inputs = _tables(subgraphs[0], _SUBGRAPH_INPUTS) if subgraphs else []
    for unit in _tables(inputs[0], _TENSOR_PROCESS_UNITS) if inputs else []:
        from flatbuffers import number_types

        kind = unit.GetSlot(4 + 2 * _UNIT_TYPE, 0, number_types.Uint8Flags)
        o = _offset(unit, _UNIT_OPTIONS)
        if kind != _NORMALIZATION or not o:
            continue
        options = Table(unit.Bytes, unit.Indirect(o + unit.Pos))
        mean, std = _floats(options, _MEAN), _floats(options, _STD)
        values = mean + std
        if (
            not mean
            or not std
            or any(not math.isfinite(v) for v in values)
            or any(s <= 0 for s in std)
        ):
            return None
        # the metadata's values are for pixels in [0, 255]; the app's images are in [0, 1]
        return tuple(m / 255 for m in mean), tuple(s / 255 for s in std)
    return None


def metadata_input_range(model: Any) -> Range | None:
    """``(mean, std)`` for images in [0, 1] that the model's metadata declares for its
    input, or ``None`` (no metadata, no normalization, or metadata that cannot be read:
    the metadata is advice, so a damaged one never stops an import)."""
    try:
        for i in range(model.MetadataLength()):
            entry = model.Metadata(i)
            if entry.Name() != b"TFLITE_METADATA":
                continue
            buffer = model.Buffers(entry.Buffer())
            if buffer is None or buffer.DataLength() == 0:
                return None
            return _normalization(buffer.DataAsNumpy().tobytes())
    except Exception:  # noqa: BLE001 - damaged metadata: say nothing about the range
        return None
    return None
