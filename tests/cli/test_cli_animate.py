"""``conv-explorer animate``: a layer's walk-through as a GIF or APNG, and its errors."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

ROOT = Path(__file__).resolve().parents[2]
SCENES = ROOT / "assets" / "scenes"


def _frames(path: Path) -> tuple[int, tuple[int, int], list[int], list[np.ndarray]]:
    with Image.open(path) as im:
        durations, pictures = [], []
        for i in range(im.n_frames):
            im.seek(i)
            durations.append(im.info["duration"])
            pictures.append(np.asarray(im.convert("RGB")))
        return im.n_frames, im.size, durations, pictures


@pytest.mark.slow
def test_gif_and_apng_have_one_frame_per_step(run_cli, tmp_path: Path) -> None:
    from explorer.core.analysis.walkthrough import Region, build_walk
    from explorer.core.compute.run import run_stack
    from explorer.core.io.inputs import resolve_input
    from explorer.core.io.scene import load_scene

    scene = load_scene(SCENES / "default.json")
    image = resolve_input(scene.input, seed=scene.seed)
    results = list(run_stack(scene.layers, image, seed=scene.seed, device="cpu"))
    expected = len(
        build_walk(
            scene.layers[1],
            results[0].output,
            results[1].weights,
            region=Region(10, 20, 2, 3),
            out_channel=2,
        )
    )
    gif = tmp_path / "pw.gif"
    proc = run_cli(
        "animate",
        SCENES / "default.json",
        "--layer",
        "2",
        "--region",
        "10",
        "20",
        "2",
        "3",
        "--channel",
        "2",
        "--fps",
        "5",
        "--width",
        "480",
        "--out",
        gif,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == "" and f"{expected} frames" in proc.stdout
    n, size, durations, pictures = _frames(gif)
    assert (n, size) == (expected, (480, 270))
    assert set(durations) == {200}
    assert not np.array_equal(pictures[0], pictures[1])  # the frames move on

    apng = tmp_path / "dw.png"
    proc = run_cli(
        "animate",
        SCENES / "default.json",
        "--layer",
        "1",
        "--region",
        "0",
        "0",
        "2",
        "2",
        "--fps",
        "8",
        "--width",
        "320",
        "--detail",
        "positions",
        "--out",
        apng,
    )
    assert proc.returncode == 0, proc.stderr
    n, size, durations, _ = _frames(apng)
    assert (n, size) == (4, (320, 180))  # one frame per output position
    assert set(durations) == {125}
    with Image.open(apng) as im:
        assert im.format == "PNG" and getattr(im, "is_animated", False)


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--layer", "3"], "the scene has 2 layers"),
        (["--layer", "1", "--channel", "99"], "output channel 99 does not exist"),
        (["--layer", "1", "--region", "900", "0", "8", "8"], "outside the input"),
        (["--layer", "1", "--fps", "0"], "--fps: must be between 0.5 and 50"),
        (["--layer", "0"], "--layer: must be a positive integer"),
        (["--layer", "1", "--width", "50"], "width 50 px is out of range"),
        (["--layer", "1", "--out", "x.jpg"], "must end in .gif or .png"),
        (["--layer", "1", "--image", "missing.png"], "missing.png"),
        (["--out", "a.gif"], "required: --layer"),
    ],
)
def test_bad_input_exits_2_with_one_line(cli_main, tmp_path: Path, args, words) -> None:
    out = ["--out", str(tmp_path / "a.gif")] if "--out" not in args else []
    if "--out" in args:
        args = [a if a not in ("x.jpg", "a.gif") else str(tmp_path / a) for a in args]
    code, stdout, stderr = cli_main("animate", SCENES / "default.json", *args, *out)
    assert code == 2, stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("conv-explorer: error: "), stderr
    assert words in lines[0]
    assert not (tmp_path / "a.gif").exists()


def test_bad_scene_exits_2(cli_main, tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(
        json.dumps({"format": "conv-explorer-scene", "version": 1, "layers": [{"kind": "nope"}]}),
        encoding="utf-8",
    )
    code, _, stderr = cli_main("animate", bad, "--layer", "1", "--out", tmp_path / "a.gif")
    assert code == 2 and len(stderr.strip().splitlines()) == 1 and "bad.json" in stderr
