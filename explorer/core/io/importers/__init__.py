"""Open trained models (ONNX, TFLite) as editable stacks; read safetensors checkpoints.

* :func:`read_model` reads a file into the intermediate :class:`~.graph.Graph`;
* :func:`import_model` follows it from the image input and returns the longest prefix the
  stack can represent exactly (:class:`~.matcher.MatchResult`), and :func:`to_scene`
  turns that into a :class:`~explorer.core.io.scene.Scene` whose weights reference the model;
* :func:`model_tensor` resolves such a reference (cached per file).

No Qt here; ``onnx`` and ``tflite`` are imported only when a file of theirs is read.
"""

from __future__ import annotations

from explorer.core.io.importers.api import (
    MODEL_SUFFIXES,
    capabilities,
    import_model,
    model_tensor,
    read_model,
)
from explorer.core.io.importers.graph import Graph, ModelError
from explorer.core.io.importers.matcher import Capabilities, ImportedLayer, MatchResult, Stop
from explorer.core.io.importers.stack import to_scene

__all__ = [
    "MODEL_SUFFIXES",
    "Capabilities",
    "Graph",
    "ImportedLayer",
    "MatchResult",
    "ModelError",
    "Stop",
    "capabilities",
    "import_model",
    "model_tensor",
    "read_model",
    "to_scene",
]
