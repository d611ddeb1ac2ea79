"""``stats --time`` (warm per-layer times, the app's own code) and ``--input-shape``
validated against the input actually used."""

from __future__ import annotations

import json

import pytest
import torch

from explorer.core.compute.build import build_stack
from explorer.core.io.scene import scene_from_dict

SCENE = {
    "format": "conv-explorer-scene",
    "version": 1,
    "layers": [
        {"kind": "standard", "out_channels": 8, "kernel_size": 3, "groups": 4},
        {
            "kind": "separable",
            "out_channels": 6,
            "kernel_size": 3,
            "padding": 1,
            "batch_norm": True,
        },
    ],
}


@pytest.fixture
def groups4(tmp_path):
    path = tmp_path / "g4.json"
    path.write_text(json.dumps(SCENE), encoding="utf-8")
    return path


def test_input_shape_is_what_validation_sees(groups4, cli_main):
    """The issue's example: no input section, groups=4, --input-shape 4 40 40."""
    code, out, err = cli_main("stats", groups4, "--input-shape", "4", "40", "40", "--json")
    assert code == 0, err
    data = json.loads(out)
    assert data["input"]["shape"] == [4, 40, 40]
    assert data["layers"][0]["output_shape"] == [8, 38, 38]
    model = build_stack(scene_from_dict(SCENE).layers, 4)
    with torch.inference_mode():
        y = model(torch.zeros(1, 4, 40, 40))
    assert data["output_shape"] == list(y.shape[1:])
    assert data["total"]["params"] == sum(p.numel() for p in model.parameters())
    code, out, err = cli_main("code", groups4, "--input-shape", "4", "40", "40")
    assert code == 0, err
    # without the shape: the default 3-channel input is refused, in one line, exit 2
    code, out, err = cli_main("stats", groups4)
    assert code == 2 and "groups=4 does not divide the 3 input channels" in err
    assert len(err.strip().splitlines()) == 1
    # and a shape that does not fit is refused as the shape it is
    code, out, err = cli_main("stats", groups4, "--input-shape", "6", "40", "40")
    assert code == 2 and "does not divide the 6 input channels" in err


def test_stats_time_json_and_table(groups4, cli_main):
    code, out, err = cli_main(
        "stats", groups4, "--input-shape", "4", "20", "20", "--json", "--time"
    )
    assert code == 0, err
    data = json.loads(out)
    for layer in data["layers"]:
        t = layer["time"]
        assert layer["time_ms"] == t["median"] > 0
        assert t["min"] <= t["q1"] <= t["median"] <= t["q3"] <= t["max"]
        assert (t["repeats"], t["warmup"]) == (7, 2)
    assert data["total"]["time_ms"] == pytest.approx(sum(c["time_ms"] for c in data["layers"]))
    assert "median of 7 runs after 2 warm-ups" in data["timing"]["method"]
    code, out, err = cli_main("stats", groups4, "--input-shape", "4", "20", "20", "--time")
    assert code == 0, err
    assert "time (ms)" in out and "median of 7 runs after 2 warm-ups" in out
    # without --time nothing is run or timed
    code, out, _ = cli_main("stats", groups4, "--input-shape", "4", "20", "20", "--json")
    assert "time_ms" not in out
