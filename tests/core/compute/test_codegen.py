"""Generated scripts: they run with torch alone and rebuild the app's stack exactly."""

from __future__ import annotations

import ast
import subprocess
import sys

import pytest
import torch

from explorer.core.analysis.costs import stack_cost
from explorer.core.compute.build import build_stack, layer_seed
from explorer.core.compute.codegen import scene_code
from explorer.core.compute.run import quiet_same_padding
from explorer.core.errors import SpecError
from explorer.core.io.scene import InputSpec, Scene
from explorer.core.model.specs import (
    CheckpointTensor,
    DepthwiseSpec,
    InlineTensor,
    PointwiseSpec,
    SeparableSpec,
    StandardSpec,
)

MOBILENET = (
    StandardSpec(
        out_channels=8, kernel_size=3, stride=2, padding=1, batch_norm=True, activation="relu6"
    ),
    SeparableSpec(out_channels=16, batch_norm=True, activation="relu6", padding="same"),
    DepthwiseSpec(kernel_size=(2, 4), multiplier=2, padding="same", dilation=(1, 2), bias=False),
    PointwiseSpec(out_channels=5, stride=2),
)

SCENES = {
    "pointwise-64-128": (
        Scene(
            layers=(PointwiseSpec(out_channels=128),), seed=0, input=InputSpec(shape=(64, 32, 32))
        ),
        (64, 32, 32),
    ),
    "mobilenet": (
        Scene(
            layers=MOBILENET,
            seed=11,
            title="MobileNet-ish",
            caption='A caption with """ quotes\nand a second line',
        ),
        (3, 31, 27),
    ),
    "grouped": (
        Scene(
            layers=(
                StandardSpec(
                    out_channels=6, groups=3, kernel_size=(1, 5), padding=(0, 2), bias=False
                ),
            ),
            seed=-3,
        ),
        (3, 9, 9),
    ),
    "empty": (Scene(layers=(), seed=2), (2, 4, 4)),
}


def _run_script(code: str, tmp_path) -> list[str]:
    script = tmp_path / "scene.py"
    script.write_text(code, encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, "-I", str(script)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.splitlines()


def _load(code: str) -> dict:
    namespace: dict = {"__name__": "generated_scene"}
    exec(compile(code, "<scene>", "exec"), namespace)
    return namespace


@pytest.mark.parametrize("name", ["pointwise-64-128", "mobilenet"])
def test_script_prints_costs_shape_and_params(name, tmp_path):
    scene, shape = SCENES[name]
    code = scene_code(scene, shape)
    cost = stack_cost(shape, scene.layers)
    lines = _run_script(code, tmp_path)
    assert lines == [f"torch.Size([1, {', '.join(map(str, cost.output_shape))}])", str(cost.params)]
    # the expected values are also in the script, as comments
    assert f"# torch.Size([1, {', '.join(map(str, cost.output_shape))}])" in code
    assert f"# {cost.params}" in code


def test_lesson_example_numbers():
    scene, shape = SCENES["pointwise-64-128"]
    code = scene_code(scene, shape)
    assert "nn.Conv2d(64, 128, kernel_size=(1, 1))" in code
    assert "# torch.Size([1, 128, 32, 32])" in code and "# 8320" in code
    assert "x = torch.randn(1, 64, 32, 32)" in code


@pytest.mark.parametrize("name", list(SCENES))
def test_script_rebuilds_the_same_weights_and_outputs(name):
    scene, shape = SCENES[name]
    code = scene_code(scene, shape)
    assert max(len(line) for line in code.splitlines()) <= 100
    tree = ast.parse(code)
    imported = {n.names[0].name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import)}
    imported |= {n.module.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert imported <= {"torch", "collections"}
    namespace = _load(code)
    assert namespace["layer_seed"](scene.seed, 3) == layer_seed(scene.seed, 3)
    model = namespace["ConvStack"]().eval()
    ours = build_stack(scene.layers, shape[0], seed=scene.seed)
    theirs = model.layers.state_dict()
    assert list(theirs) == list(ours.state_dict())
    for key, value in ours.state_dict().items():
        assert torch.equal(theirs[key], value), key
    x = torch.randn(1, *shape)
    with torch.no_grad(), quiet_same_padding():
        torch.testing.assert_close(model(x), ours(x), rtol=0, atol=0)


def test_set_weights_are_written_out(tmp_path):
    ckpt = tmp_path / "w.pt"
    torch.save({"model": {"dw": torch.randn(4, 1, 3, 3)}}, ckpt)
    big = InlineTensor(shape=(70, 4, 1, 1), values=tuple((i % 13) / 7 - 0.9 for i in range(280)))
    scene = Scene(
        layers=(
            SeparableSpec(
                out_channels=70,
                batch_norm=True,
                activation="relu",
                weights=(
                    ("depthwise.weight", CheckpointTensor(str(ckpt), "dw")),
                    ("pointwise.weight", big),
                    ("pointwise.bias", InlineTensor((70,), tuple(range(70)))),
                ),
            ),
            PointwiseSpec(
                out_channels=1,
                bias=False,
                weights=(("weight", InlineTensor((1, 70, 1, 1), (1 / 3,) * 70)),),
            ),
        ),
        seed=5,
    )
    code = scene_code(scene, (4, 6, 6))
    assert 'torch.load(path, map_location="cpu", weights_only=True)' in code
    stripped = [line.strip() for line in code.splitlines()]
    at = stripped.index("layer.depthwise.weight.copy_(load_tensor(")
    assert stripped[at + 1 : at + 3] == [f"{str(ckpt)!r},", "'dw',"]
    assert max(len(line) for line in code.splitlines() if str(ckpt) not in line) <= 100
    model = _load(code)["ConvStack"]().eval()
    ours = build_stack(scene.layers, 4, seed=5)
    for key, value in ours.state_dict().items():
        assert torch.equal(model.layers.state_dict()[key], value), key
    cost = stack_cost((4, 6, 6), scene.layers)
    lines = _run_script(code, tmp_path)
    assert lines == [f"torch.Size([1, {', '.join(map(str, cost.output_shape))}])", str(cost.params)]


def test_each_layer_is_commented_with_its_formula():
    scene, shape = SCENES["mobilenet"]
    code = scene_code(scene, shape)
    cost = stack_cost(shape, scene.layers)
    for layer in cost.layers:
        assert f"# Layer {layer.index + 1}:" in code
        for part in layer.parts:
            assert f"= {part.macs:,}" in code and f"= {part.params:,}" in code
    assert "(1/C_out + 1/k²) = (1/16 + 1/9) = 0.174" in code
    # the caption cannot break out of its comment
    assert '# A caption with """ quotes' in code and "# and a second line" in code


def test_invalid_scene_is_refused():
    scene = Scene(layers=(StandardSpec(kernel_size=9),))
    with pytest.raises(SpecError, match="layer 1"):
        scene_code(scene, (3, 4, 4))


def test_writing_code_never_imports_torch(tmp_path):
    """Edit ▸ Copy as PyTorch Code runs on the GUI thread: importing torch there would wait
    for a worker's first ``import torch`` (Python's import lock), so codegen needs no torch."""
    probe = (
        "import sys\n"
        "from explorer.core.compute.codegen import scene_code\n"
        "from explorer.core.io.scene import Scene\n"
        "from explorer.core.model.specs import StandardSpec, InlineTensor\n"
        "w = InlineTensor((2, 1, 1, 1), (1.0, 2.0))\n"
        "spec = StandardSpec(out_channels=2, kernel_size=1, weights=(('weight', w),))\n"
        "code = scene_code(Scene(layers=(spec,), seed=3), (1, 4, 4))\n"
        "assert 'layer_seed' in code and 'torch.tensor' in code, code\n"
        "print(sorted(m for m in sys.modules if m == 'torch' or m.startswith('torch.')))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, cwd=tmp_path
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"
    # the seed the script computes is the one build uses
    assert f"{1_000_003:_}" in scene_code(SCENES["mobilenet"][0], SCENES["mobilenet"][1])
    assert layer_seed(5, 2) == (5 * 1_000_003 + 2) % 2**63
