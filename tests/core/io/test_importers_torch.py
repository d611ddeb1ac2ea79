"""Blocks exported from PyTorch (``torch.onnx.export``) import exactly: skip adds,
squeeze-excitation, hardswish written as x·clip(x+3, 0, 6)/6, ReLU6 as Clip, constants folded
before and after a convolution, a Pad before a convolution, max pooling."""

from __future__ import annotations

import io
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from explorer.core.compute.run import run_stack
from explorer.core.io.importers import import_model, to_scene

sys.path.insert(0, str(Path(__file__).parent))
from model_refs import close, onnx_reference  # noqa: E402

pytest.importorskip("onnxruntime")
torch.set_num_threads(1)


class HardswishByHand(nn.Module):
    def forward(self, x):
        return x * torch.clamp(x + 3, 0, 6) / 6


class SE(nn.Module):
    def __init__(self, c: int, squeeze: int) -> None:
        super().__init__()
        self.fc1, self.fc2 = nn.Conv2d(c, squeeze, 1), nn.Conv2d(squeeze, c, 1)

    def forward(self, x):
        s = torch.nn.functional.adaptive_avg_pool2d(x, 1)
        return x * torch.sigmoid(self.fc2(torch.relu(self.fc1(s))))


class Residual(nn.Module):
    def __init__(self, c: int) -> None:
        super().__init__()
        self.dw = nn.Sequential(
            nn.Conv2d(c, c, 3, padding=1, groups=c), nn.BatchNorm2d(c), nn.ReLU6()
        )
        self.se = SE(c, 4)
        self.pw = nn.Sequential(nn.Conv2d(c, c, 1, bias=False), nn.BatchNorm2d(c))

    def forward(self, x):
        return torch.relu(x + self.pw(self.se(self.dw(x))))


class Net(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.scale = nn.Parameter(
            torch.tensor([0.5, 2.0, -1.0]).reshape(1, 3, 1, 1), requires_grad=False
        )
        self.stem = nn.Conv2d(3, 8, 3, stride=2, padding=0)
        self.bn = nn.BatchNorm2d(8)
        self.act = HardswishByHand()
        self.block = Residual(8)
        self.pool = nn.MaxPool2d(2)
        self.pw = nn.Conv2d(8, 6, 1)

    def forward(self, x):
        x = x * self.scale  # a per-channel scale before the first convolution
        x = nn.functional.pad(x, (1, 1, 1, 1))  # a Pad node before it
        x = self.act(self.bn(self.stem(x)) * 1.5 + 0.25)  # constants after it
        x = self.pool(self.block(x))
        return torch.sigmoid(self.pw(x)).transpose(2, 3)  # Transpose: where it stops


def _randomise_bn(module: nn.Module) -> None:
    g = torch.Generator().manual_seed(0)
    for m in module.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.copy_(torch.randn(m.num_features, generator=g))
            m.running_var.copy_(torch.rand(m.num_features, generator=g) + 0.5)
            m.weight.data.copy_(torch.randn(m.num_features, generator=g))
            m.bias.data.copy_(torch.randn(m.num_features, generator=g))


@pytest.fixture(scope="module")
def exported(tmp_path_factory) -> Path:
    torch.manual_seed(0)
    net = Net().eval()
    _randomise_bn(net)
    path = tmp_path_factory.mktemp("torch") / "net.onnx"
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            net,
            torch.randn(1, 3, 32, 32),
            buffer,
            dynamo=False,
            opset_version=13,
            input_names=["image"],
        )
    path.write_bytes(buffer.getvalue())
    return path


def test_exported_blocks_import_exactly(exported: Path):
    result = import_model(exported)
    scene = to_scene(result)
    kinds = [spec.kind for spec in scene.layers]
    assert kinds == ["standard", "block", "maxpool", "pointwise"], kinds
    assert scene.layers[0].activation == "hardswish"
    block = scene.layers[1]
    assert block.skip and block.se and block.se_gate == "sigmoid" and block.activation == "relu"
    assert scene.layers[3].activation == "sigmoid"
    assert result.stop.op == "Transpose" and result.stop.node in result.stop.describe()
    x = np.random.default_rng(3).standard_normal((1, 3, 32, 32)).astype(np.float32)
    outs = [r.output for r in run_stack(scene.layers, x[0], device="cpu")]
    for spec, got in zip(scene.layers, outs, strict=True):
        want = onnx_reference(str(exported), "image", spec.source.output, x)
        assert close(got, want) <= 1e-4, spec.source.output


def test_layer_limit_and_provenance(exported: Path):
    result = import_model(exported)
    scene = to_scene(result, layers=2)
    assert len(scene.layers) == 2
    assert all(spec.source.model == str(exported) for spec in scene.layers)
    inner = scene.layers[1].layers
    assert all(layer.source is not None for layer in inner)


class BlazeBlock(nn.Module):
    """BlazeFace's block as torch code: its skip max-pooled (stride 2) and zero-padded."""

    def __init__(self, c_in: int, c_out: int, stride: int) -> None:
        super().__init__()
        self.stride, self.extra = stride, c_out - c_in
        self.dw = nn.Conv2d(c_in, c_in, 3, stride=stride, padding=1, groups=c_in)
        self.pw = nn.Conv2d(c_in, c_out, 1)

    def forward(self, x):
        s = nn.functional.max_pool2d(x, 2) if self.stride == 2 else x
        s = nn.functional.pad(s, (0, 0, 0, 0, 0, self.extra))
        return torch.relu(self.pw(self.dw(x)) + s)


def test_onnx_padded_and_pooled_skips_import_exactly(tmp_path: Path):
    torch.manual_seed(1)
    net = nn.Sequential(
        nn.Conv2d(3, 8, 3, padding=1),
        nn.ReLU(),
        BlazeBlock(8, 12, 1),
        BlazeBlock(12, 16, 2),
        nn.Conv2d(16, 4, 3),
        nn.Flatten(),
    ).eval()
    path = tmp_path / "blaze.onnx"
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            net,
            torch.randn(1, 3, 16, 16),
            buffer,
            dynamo=False,
            opset_version=13,
            input_names=["image"],
        )
    path.write_bytes(buffer.getvalue())
    scene = to_scene(import_model(path))
    assert [s.kind for s in scene.layers] == ["standard", "block", "block", "standard"]
    assert [(b.skip_pool, b.skip_pad) for b in scene.layers[1:3]] == [(1, True), (2, True)]
    x = np.random.default_rng(5).standard_normal((1, 3, 16, 16)).astype(np.float32)
    outs = [r.output for r in run_stack(scene.layers, x[0], device="cpu")]
    for spec, got in zip(scene.layers, outs, strict=True):
        want = onnx_reference(str(path), "image", spec.source.output, x)
        assert close(got, want) <= 1e-4, spec.source.output
