"""``conv-explorer import`` and ``conv-explorer run`` from a shell."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
OCR = ROOT / "assets" / "models" / "ch_ppocr_mobile_v2.0_cls_infer.onnx"
FACE = ROOT / "assets" / "models" / "face_detection_short_range.tflite"


def _error_line(proc, *words: str) -> None:
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in proc.stderr, proc.stderr
    for word in words:
        assert word in lines[0], lines[0]


def test_import_then_run(run_cli, tmp_path: Path):
    pytest.importorskip("onnx")
    scene = tmp_path / "ocr.json"
    proc = run_cli(
        "import",
        OCR,
        "--input-shape",
        "3",
        "48",
        "192",
        "--layers",
        "4",
        "--input-range",
        "-1",
        "1",
        "--out",
        scene,
    )
    assert proc.returncode == 0, proc.stderr
    assert "imported 4 layer(s)" in proc.stdout and "GlobalAveragePool@9" in proc.stdout
    data = json.loads(scene.read_text())
    assert len(data["layers"]) == 4
    assert data["layers"][0]["source"]["output"] == "hardswish_0.tmp_0"
    assert (tmp_path / data["layers"][0]["source"]["model"]).resolve() == OCR.resolve()
    assert data["input"]["normalize"] == {"mean": [0.5], "std": [0.5]}
    x = np.random.default_rng(0).standard_normal((1, 3, 48, 192)).astype(np.float32)
    np.save(tmp_path / "x.npy", x)
    proc = run_cli("run", scene, "--input", tmp_path / "x.npy", "--out", tmp_path / "y.npy")
    assert proc.returncode == 0, proc.stderr
    y = np.load(tmp_path / "y.npy")
    assert y.dtype == np.float32 and y.shape == (24, 12, 96)
    proc = run_cli(
        "run", scene, "--input", tmp_path / "x.npy", "--out", tmp_path / "all.npz", "--all"
    )
    assert proc.returncode == 0, proc.stderr
    with np.load(tmp_path / "all.npz") as every:
        assert list(every) == ["layer1", "layer2", "layer3", "layer4"]
        assert np.array_equal(every["layer4"], y)
    pytest.importorskip("onnxruntime")
    import sys

    sys.path.insert(0, str(ROOT / "tests" / "core" / "io"))
    from model_refs import close, onnx_reference

    assert (
        close(y, onnx_reference(str(OCR), "x", data["layers"][-1]["source"]["output"], x)) <= 1e-4
    )


def test_bad_inputs_exit_2_with_one_line(run_cli, tmp_path: Path):
    garbage = tmp_path / "junk.onnx"
    garbage.write_bytes(b"\x00\x01garbage" * 100)
    _error_line(run_cli("import", garbage, "--out", tmp_path / "s.json"), "junk.onnx")
    _error_line(run_cli("import", OCR, "--out", tmp_path / "s.json"), "dynamic shape", "'x'")
    scene = tmp_path / "face.json"
    assert run_cli("import", FACE, "--out", scene).returncode == 0
    bad = tmp_path / "bad.npy"
    np.save(bad, np.zeros((2, 2), np.float32))
    _error_line(run_cli("run", scene, "--input", bad, "--out", tmp_path / "y.npy"), "bad.npy")
    (tmp_path / "text.npy").write_text("not an array")
    _error_line(
        run_cli("run", scene, "--input", tmp_path / "text.npy", "--out", tmp_path / "y.npy"),
        "text.npy",
    )
    np.save(tmp_path / "two.npy", np.zeros((2, 128, 128), np.float32))
    _error_line(
        run_cli("run", scene, "--input", tmp_path / "two.npy", "--out", tmp_path / "y.npy"),
        "face.json",
    )


def test_import_takes_the_range_from_tflite_metadata(run_cli, tmp_path: Path):
    import sys

    sys.path.insert(0, str(ROOT / "tests" / "core" / "io"))
    from tflite_builder import conv_model, normalization_metadata

    kernel = np.random.default_rng(1).standard_normal((4, 3, 3, 3)).astype(np.float32)
    data, _ = conv_model(
        kernel,
        np.zeros(4, np.float32),
        (8, 8),
        storage="fp16",
        metadata=normalization_metadata([127.5], [127.5]),
    )
    model = tmp_path / "m.tflite"
    model.write_bytes(data)
    proc = run_cli("import", model, "--out", tmp_path / "m.json")
    assert proc.returncode == 0, proc.stderr
    assert "input range from the model's metadata" in proc.stdout
    scene = json.loads((tmp_path / "m.json").read_text())
    assert scene["input"]["normalize"] == {"mean": [0.5], "std": [0.5]}
