"""The input range a TFLite model declares in its metadata (``NormalizationOptions`` of its
input tensor, for pixels in [0, 255]) becomes the scene's ``normalize`` for images in [0, 1];
no metadata or a damaged one says nothing."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from explorer.core.io.importers import import_model, to_scene
from explorer.core.io.inputs import normalized

sys.path.insert(0, str(Path(__file__).parent))
from tflite_builder import conv_model, normalization_metadata  # noqa: E402

MODELS = Path(__file__).resolve().parents[3] / "assets" / "models"


def _model(tmp_path: Path, metadata: bytes | None) -> Path:
    rng = np.random.default_rng(0)
    kernel = rng.standard_normal((4, 3, 3, 3)).astype(np.float32)
    data, _ = conv_model(kernel, np.zeros(4, np.float32), (8, 8), storage="fp16", metadata=metadata)
    path = tmp_path / "m.tflite"
    path.write_bytes(data)
    return path


def test_metadata_normalization_becomes_the_scenes_input_range(tmp_path: Path):
    path = _model(tmp_path, normalization_metadata([127.5], [127.5]))
    result = import_model(path)
    assert result.graph.input_range == ((0.5,), (0.5,))
    scene = to_scene(result)
    assert scene.input.normalize == ((0.5,), (0.5,))
    # images in [0, 1] become the model's [−1, 1], as (pixel − 127.5) / 127.5 would
    pixels = np.array([0, 51, 255], np.float32).reshape(1, 3, 1)
    got = normalized(pixels / 255, scene.input.normalize)
    np.testing.assert_allclose(got, (pixels - 127.5) / 127.5, atol=1e-6)
    # an explicit range still wins
    assert to_scene(result, normalize=((0.0,), (1.0,))).input.normalize == ((0.0,), (1.0,))


def test_per_channel_metadata(tmp_path: Path):
    mean, std = [123.675, 116.28, 103.53], [58.395, 57.12, 57.375]
    path = _model(tmp_path, normalization_metadata(mean, std))
    got_mean, got_std = import_model(path).graph.input_range
    np.testing.assert_allclose(got_mean, (0.485, 0.456, 0.406), atol=1e-6)
    np.testing.assert_allclose(got_std, (0.229, 0.224, 0.225), atol=1e-6)


@pytest.mark.parametrize(
    "metadata", [None, b"garbage bytes, not a flatbuffer", normalization_metadata([0.0], [0.0])]
)
def test_no_or_unusable_metadata_says_nothing(tmp_path: Path, metadata):
    result = import_model(_model(tmp_path, metadata))
    assert result.graph.input_range is None and len(result.layers) == 1
    assert to_scene(result).input.normalize is None


def test_the_interpreter_accepts_the_test_metadata(tmp_path: Path):
    litert = pytest.importorskip("ai_edge_litert.interpreter")
    path = _model(tmp_path, normalization_metadata([127.5], [127.5]))
    interpreter = litert.Interpreter(model_path=str(path))
    interpreter.allocate_tensors()


def test_blazeface_has_no_metadata():
    assert import_model(MODELS / "face_detection_short_range.tflite").graph.input_range is None
