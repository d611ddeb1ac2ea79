"""A model's own BatchNorm (a separate node after a convolution) is imported as the layer's
batch norm with the model's γ, β, running statistics and eps; a model that folded it has
none (issue 11)."""

from __future__ import annotations

import io
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from explorer.core.analysis.costs import stack_cost
from explorer.core.compute.build import build_stack
from explorer.core.compute.run import run_stack
from explorer.core.io.importers import import_model, to_scene
from explorer.core.io.scene_format import dump_scene, parse_scene

sys.path.insert(0, str(Path(__file__).parent))
from model_refs import close, onnx_reference  # noqa: E402

onnx = pytest.importorskip("onnx")
pytest.importorskip("onnxruntime")
torch.set_num_threads(1)
OCR = (
    Path(__file__).resolve().parents[3]
    / "assets"
    / "models"
    / "ch_ppocr_mobile_v2.0_cls_infer.onnx"
)


class Net(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 6, 3, padding=1, bias=False)
        self.bn = nn.BatchNorm2d(6, eps=1e-3)  # not torch's default eps
        self.dw = nn.Conv2d(6, 6, 3, padding=1, groups=6)
        self.bn2 = nn.BatchNorm2d(6)

    def forward(self, x):
        x = torch.relu(self.bn(self.conv(x)))
        return torch.clamp(self.bn2(self.dw(x)) * 2.0 + 0.5, 0, 6)  # constants after the BN


@pytest.fixture(scope="module")
def with_bn(tmp_path_factory) -> tuple[Path, Net]:
    torch.manual_seed(0)
    net = Net().eval()
    g = torch.Generator().manual_seed(1)
    for bn in (net.bn, net.bn2):
        bn.running_mean.copy_(torch.randn(6, generator=g))
        bn.running_var.copy_(torch.rand(6, generator=g) * 0.01)  # small: eps matters
        bn.weight.data.copy_(torch.randn(6, generator=g))
        bn.bias.data.copy_(torch.randn(6, generator=g))
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # training=PRESERVE keeps the BatchNormalization nodes (eval export fuses them)
        torch.onnx.export(
            net,
            torch.randn(1, 3, 16, 16),
            buffer,
            dynamo=False,
            opset_version=13,
            input_names=["image"],
            training=torch.onnx.TrainingMode.PRESERVE,
            do_constant_folding=False,
        )
    path = tmp_path_factory.mktemp("bn") / "bn.onnx"
    path.write_bytes(buffer.getvalue())
    return path, net


def test_the_models_batchnorm_is_kept_with_its_eps(with_bn):
    path, net = with_bn
    ops = [n.op_type for n in onnx.load(str(path)).graph.node]
    assert ops.count("BatchNormalization") == 2, ops
    scene = to_scene(import_model(path))
    first, second = scene.layers
    assert first.kind == "standard" and first.batch_norm and not first.bias
    assert second.kind == "depthwise" and second.batch_norm and second.activation == "relu6"
    module = build_stack(scene.layers, 3)
    bn = module[0].bn
    assert torch.allclose(bn.weight, net.bn.weight) and torch.allclose(bn.bias, net.bn.bias)
    assert torch.allclose(bn.running_mean, net.bn.running_mean)
    # eps 1e-3 moved into the variance, so torch's eps 1e-5 divides by the model's sqrt(σ²+eps)
    assert torch.allclose(bn.running_var + bn.eps, net.bn.running_var + 1e-3)
    x = np.random.default_rng(0).standard_normal((1, 3, 16, 16)).astype(np.float32)
    outs = [r.output for r in run_stack(scene.layers, x[0], device="cpu")]
    for spec, got in zip(scene.layers, outs, strict=True):
        want = onnx_reference(str(path), "image", spec.source.output, x)
        assert close(got, want) <= 1e-4, spec.source.output
    with torch.no_grad():
        assert close(module(torch.from_numpy(x)).numpy(), net(torch.from_numpy(x)).numpy()) <= 1e-4
    # parameters counted like torch: the convs' weights and bias, BN's γ and β
    torch_params = sum(p.numel() for p in net.parameters())
    assert stack_cost((3, 16, 16), scene.layers).params == torch_params


def test_kept_batchnorm_survives_the_scene_file(with_bn, tmp_path: Path):
    path, _ = with_bn
    scene = to_scene(import_model(path))
    data = dump_scene(scene, tmp_path)
    assert "bn.running_var" in data["layers"][0]["weights"]
    again = parse_scene(data, tmp_path, "bn.json")
    assert again.layers == scene.layers
    # switching the batch norm off in the editor drops the model's BN, not the layer
    off = scene.layers[0].with_changes(batch_norm=False)
    module = build_stack([off], 3)
    assert not hasattr(module[0], "bn")


def test_paddleocr_keeps_its_batchnorms():
    scene = to_scene(import_model(OCR, (3, 48, 192)))
    convs = [inner for spec in scene.layers for inner in getattr(spec, "layers", (spec,))]
    convs = [c for c in convs if c.kind in ("standard", "depthwise", "pointwise")]
    ops = [n.op_type for n in onnx.load(str(OCR)).graph.node]
    assert sum(c.batch_norm for c in convs) == 35 == ops.count("BatchNormalization")


class SEWithBN(nn.Module):
    """An SE whose reduce convolution has a BatchNorm (the SE kind has none: folded)."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, padding=1)
        self.fc1, self.bn = nn.Conv2d(8, 4, 1), nn.BatchNorm2d(4)
        self.fc2 = nn.Conv2d(4, 8, 1)

    def forward(self, x):
        x = torch.relu(self.conv(x))
        s = torch.relu(self.bn(self.fc1(nn.functional.adaptive_avg_pool2d(x, 1))))
        return x * torch.sigmoid(self.fc2(s))


def test_batchnorm_inside_an_se_is_folded(tmp_path: Path):
    torch.manual_seed(2)
    net = SEWithBN().eval()
    net.bn.running_mean.uniform_(-1, 1)
    net.bn.running_var.uniform_(0.5, 2)
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            net,
            torch.randn(1, 3, 8, 8),
            buffer,
            dynamo=False,
            opset_version=13,
            input_names=["image"],
            training=torch.onnx.TrainingMode.PRESERVE,
            do_constant_folding=False,
        )
    path = tmp_path / "se.onnx"
    path.write_bytes(buffer.getvalue())
    scene = to_scene(import_model(path))
    (block,) = scene.layers
    assert block.kind == "block" and block.se
    x = np.random.default_rng(1).standard_normal((1, 3, 8, 8)).astype(np.float32)
    (got,) = [r.output for r in run_stack(scene.layers, x[0], device="cpu")]
    assert close(got, onnx_reference(str(path), "image", block.source.output, x)) <= 1e-4
