"""render_figures: offscreen PNGs of the same widgets, one per figure, readable."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from PIL import Image

from explorer.core.analysis.costs import stack_cost
from explorer.core.compute.run import run_stack
from explorer.core.io.scene import InputSpec, Scene
from explorer.core.model.specs import default_spec
from explorer.ui.window.render import figure_name, grid_height, render_figures


def _check_png(path: Path, width: int) -> None:
    with Image.open(path) as image:
        image.verify()
    with Image.open(path) as image:
        assert image.format == "PNG"
        assert image.width == width
        low, high = image.convert("L").getextrema()
        assert high > low, f"{path.name} is blank"


def test_render_real_run_writes_every_figure(qtbot, tmp_path, rng):
    layers = (default_spec("separable", out_channels=6), default_spec("pointwise", out_channels=4))
    scene = Scene(layers=layers, seed=3, input=InputSpec(shape=(3, 24, 32)), title="tiny")
    image = rng.random((3, 24, 32), dtype=np.float32)
    cost = stack_cost(image.shape, layers)
    results = list(run_stack(layers, image, seed=scene.seed))
    paths = render_figures(scene, image, results, cost, tmp_path / "out", width=640)
    assert [p.name for p in paths] == [
        "input.png",
        "layer_01_separable_maps.png",
        "layer_01_separable_weights.png",
        "layer_02_pointwise_maps.png",
        "layer_02_pointwise_weights.png",
        "costs.png",
    ]
    for path in paths:
        assert path.parent == tmp_path / "out"
        _check_png(path, 640)


def test_render_accepts_fake_results_and_many_channels(qtbot, tmp_path, rng):
    layers = (default_spec("pointwise", out_channels=128),)
    image = rng.random((64, 8, 8), dtype=np.float32)
    cost = stack_cost(image.shape, layers)
    result = SimpleNamespace(
        index=0,
        kind="pointwise",
        seconds=0.002,
        output=rng.standard_normal((128, 8, 8)).astype(np.float32),
        weights={
            "weight": rng.standard_normal((128, 64, 1, 1)).astype(np.float32),
            "bias": np.zeros(128, np.float32),
        },
    )
    paths = render_figures(Scene(layers=layers), image, [result], cost, tmp_path, width=800)
    assert len(paths) == 4
    for path in paths:
        _check_png(path, 800)
    with Image.open(tmp_path / "layer_01_pointwise_maps.png") as maps:
        assert maps.height == grid_height((128, 8, 8), 800)


def test_names_and_heights():
    assert figure_name(0, "separable", "maps") == "layer_01_separable_maps.png"
    assert figure_name(11, "pointwise", "weights") == "layer_12_pointwise_weights.png"
    for channels in (1, 3, 16, 128, 512):
        assert 220 <= grid_height((channels, 32, 32), 1600) <= 3 * 1600
    # a tall map makes a taller figure than a wide one
    assert grid_height((1, 64, 16), 1000) > grid_height((1, 16, 64), 1000)


def test_too_narrow_is_refused(qtbot, tmp_path):
    with pytest.raises(ValueError, match="width"):
        render_figures(
            Scene(),
            np.zeros((1, 4, 4), np.float32),
            [],
            stack_cost((1, 4, 4), []),
            tmp_path,
            width=50,
        )


def test_saved_figures_have_no_hover_line_and_warm_times(qtbot, tmp_path, rng, monkeypatch):
    """A saved figure cannot be hovered: the weights figure has no "Hover over a weight…"
    line; the cost figure's times are the warm ones given, never the cold pass."""
    import explorer.ui.window.render as render
    from explorer.core.compute.timing import Timing

    seen = {}
    real_grab = render._grab

    def spy(widget, size, path):
        if isinstance(widget, render.WeightView):
            seen["readout"] = widget.readout_text()
        if isinstance(widget, render.CostView):
            seen["time"] = widget.table.item(0, 6).text()
        return real_grab(widget, size, path)

    monkeypatch.setattr(render, "_grab", spy)
    layers = (default_spec("standard", out_channels=4),)
    scene = Scene(layers=layers, seed=3, input=InputSpec(shape=(3, 16, 16)))
    image = rng.random((3, 16, 16), dtype=np.float32)
    results = list(run_stack(layers, image, seed=scene.seed))
    timing = Timing((0.001, 0.002, 0.003), warmup=2)
    render_figures(
        scene,
        image,
        results,
        stack_cost(image.shape, layers),
        tmp_path,
        width=640,
        timings={0: timing},
    )
    assert "Hover" not in seen["readout"]
    assert seen["time"] == "2.00 ±0.50"
