"""``conv-explorer stats``: the numbers, cross-checked against torch."""

from __future__ import annotations

import json
import math
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCENE_FILES = sorted((ROOT / "assets" / "scenes").glob("*.json"))
REQUIRED_SCENES = {
    "default",
    "pointwise_64_to_128",
    "rgb_to_gray",
    "separable_vs_standard",
    "mobilenet_v1_block",
    "mobilenet_v2_inverted_residual",
}


def test_required_scenes_are_bundled() -> None:
    assert REQUIRED_SCENES <= {p.stem for p in SCENE_FILES}


def test_pointwise_example_json_subprocess(run_cli, scenes_dir) -> None:
    proc = run_cli("stats", scenes_dir / "pointwise_64_to_128.json", "--json")
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    data = json.loads(proc.stdout)
    assert data["input"]["shape"] == [64, 32, 32]
    (layer,) = data["layers"]
    assert layer["kind"] == "pointwise"
    assert layer["input_shape"] == [64, 32, 32]
    assert layer["output_shape"] == [128, 32, 32]
    assert (layer["params"], layer["macs"], layer["flops"]) == (8_320, 8_388_608, 16_777_216)
    assert layer["bias_adds"] == 128 * 32 * 32
    assert data["total"]["params"] == 8_320
    assert data["total"]["macs"] == 8_388_608
    assert data["total"]["flops"] == 16_777_216
    assert (
        "bias additions, BatchNorm and activations are not counted" in data["conventions"]["macs"]
    )
    assert [c["tool"].split()[0] for c in data["as_other_tools_count"]] == [
        "torch",
        "fvcore",
        "thop",
        "ptflops",
        "torchinfo",
    ]
    assert "2 × MACs" in data["conventions"]["flops"]
    assert data["comparisons"] == []


@pytest.mark.parametrize("scene_file", SCENE_FILES, ids=lambda p: p.stem)
def test_stats_equal_torch(scene_file: Path, cli_main) -> None:
    """Every bundled scene: shapes, params and FLOPs as torch has them."""
    torch = pytest.importorskip("torch")
    from torch.utils.flop_counter import FlopCounterMode

    from explorer.core.compute.build import build_stack
    from explorer.core.io.scene import load_scene

    code, out, err = cli_main("stats", scene_file, "--json")
    assert code == 0, err
    data = json.loads(out)
    scene = load_scene(scene_file)
    assert scene.title and scene.caption, "every bundled scene needs a title and a caption"
    c, h, w = data["input"]["shape"]
    model = build_stack(scene.layers, c, seed=scene.seed)
    assert sum(p.numel() for p in model.parameters()) == data["total"]["params"]
    x = torch.zeros(1, c, h, w)
    with torch.no_grad():
        for layer, stats in zip(model, data["layers"], strict=True):
            assert [int(v) for v in x.shape[1:]] == stats["input_shape"]
            assert sum(p.numel() for p in layer.parameters()) == stats["params"]
            counter = FlopCounterMode(display=False)
            with counter:
                x = layer(x)
            assert counter.get_total_flops() == stats["flops"] == 2 * stats["macs"]
            assert [int(v) for v in x.shape[1:]] == stats["output_shape"]
    assert [int(v) for v in x.shape[1:]] == data["output_shape"]
    assert data["total"]["macs"] == sum(s["macs"] for s in data["layers"])


def test_comparisons_follow_the_formula(cli_main, scenes_dir) -> None:
    code, out, err = cli_main("stats", scenes_dir / "separable_vs_standard.json", "--json")
    assert code == 0, err
    data = json.loads(out)
    (comp,) = data["comparisons"]
    assert comp["layers"] == [2]
    layer = data["layers"][2]
    assert comp["separable_macs"] == layer["macs"]
    c_in, h, w = layer["input_shape"]
    c_out = layer["output_shape"][0]
    assert comp["standard_macs"] == h * w * 9 * c_in * c_out
    assert comp["standard_flops"] == 2 * comp["standard_macs"]
    assert comp["formula"] == f"1/{c_out} + 1/9"
    assert math.isclose(comp["formula_ratio"], 1 / c_out + 1 / 9)
    # stride 1 and 'same' padding: the MAC ratio is the formula exactly
    assert math.isclose(comp["macs_ratio"], comp["formula_ratio"])
    assert math.isclose(comp["macs_ratio"], comp["separable_macs"] / comp["standard_macs"])

    code, out, err = cli_main("stats", scenes_dir / "mobilenet_v1_block.json", "--json")
    assert code == 0, err
    (comp,) = json.loads(out)["comparisons"]
    assert comp["layers"] == [1, 2]  # depthwise followed by pointwise
    assert math.isclose(comp["macs_ratio"], 1 / 64 + 1 / 9)


def test_input_shape_override(cli_main, scenes_dir) -> None:
    code, out, err = cli_main(
        "stats", scenes_dir / "pointwise_64_to_128.json", "--input-shape", "64", "16", "8", "--json"
    )
    assert code == 0, err
    data = json.loads(out)
    assert data["input"]["shape"] == [64, 16, 8]
    assert data["output_shape"] == [128, 16, 8]
    assert data["total"]["macs"] == 64 * 128 * 16 * 8
    assert data["total"]["params"] == 8_320

    # an image scene run on a random tensor instead: the first layer sees 5 channels
    code, out, err = cli_main(
        "stats", scenes_dir / "default.json", "--input-shape", "5", "20", "30", "--json"
    )
    assert code == 0, err
    data = json.loads(out)
    assert data["input"]["shape"] == [5, 20, 30]
    assert data["layers"][0]["input_shape"] == [5, 20, 30]
    assert "random" in data["input"]["source"]


def test_image_override(cli_main, scenes_dir, tmp_path: Path) -> None:
    from PIL import Image

    image = tmp_path / "small.png"
    Image.new("RGB", (40, 30), (200, 10, 10)).save(image)
    code, out, err = cli_main("stats", scenes_dir / "default.json", "--image", image, "--json")
    assert code == 0, err
    data = json.loads(out)
    assert data["input"]["shape"] == [3, 30, 40]
    assert data["input"]["source"] == str(image.resolve())
    assert data["output_shape"][1:] == [30, 40]  # 'same' padding keeps the size


def test_table_output(cli_main, scenes_dir) -> None:
    code, out, err = cli_main("stats", scenes_dir / "pointwise_64_to_128.json")
    assert code == 0, err
    lines = out.splitlines()
    header = next(line for line in lines if line.lstrip().startswith("#"))
    row = next(line for line in lines if " pointwise " in line)
    total = next(line for line in lines if " total " in line)
    for text in ("8,320", "8,388,608", "16,777,216", "64×32×32", "128×32×32"):
        assert text in row
        if text != "64×32×32":
            assert text in total
    # right-aligned numbers: each number ends where its column heading ends
    for heading, value in (("params", "8,320"), ("MACs", "8,388,608"), ("FLOPs", "16,777,216")):
        end = header.index(heading) + len(heading)
        assert row.index(value) + len(value) == end
        assert total.index(value) + len(value) == end
    assert any("are not counted" in line and "FLOPs = 2 × MACs" in line for line in lines)
    assert any(line.startswith("as other tools count it") for line in lines)
    assert not any("vs a standard" in line for line in lines)

    code, out, err = cli_main("stats", scenes_dir / "separable_vs_standard.json")
    assert code == 0, err
    (comparison,) = [line for line in out.splitlines() if "vs a standard" in line]
    assert re.search(r"layer 3 \(depthwise-separable 3×3, 64→64\)", comparison)
    assert "formula 1/64 + 1/9 = 0.127" in comparison
    assert "× fewer" in comparison


def test_stats_does_not_import_torch_or_qt(scenes_dir) -> None:
    code = (
        "import sys, io, contextlib\n"
        "from explorer import cli\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        f"    rc = cli.main(['stats', {str(scenes_dir / 'default.json')!r}])\n"
        "assert rc == 0, rc\n"
        "print(','.join(m for m in ('torch', 'PySide6', 'pyqtgraph') if m in sys.modules))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "", f"stats imported {proc.stdout.strip()}"
