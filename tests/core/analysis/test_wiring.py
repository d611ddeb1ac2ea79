"""The groups view's wiring equals which inputs actually reach which outputs in torch."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from explorer.core.analysis.wiring import channel_wiring, composed_connectivity, group_connectivity
from explorer.core.compute.build import build_layer, part_modules
from explorer.core.errors import SpecError
from explorer.core.model.specs import DepthwiseSpec, PointwiseSpec, SeparableSpec, StandardSpec


def measured(module: torch.nn.Module, c_in: int) -> np.ndarray:
    """(C_out, C_in): does a signal on input channel i change output channel o?"""
    rng = np.random.default_rng(0)
    columns = []
    with torch.inference_mode():
        for i in range(c_in):
            x = torch.zeros(1, c_in, 5, 5)
            x[0, i] = torch.from_numpy(rng.random((5, 5)).astype(np.float32)) + 0.5
            columns.append(module(x)[0].abs().sum(dim=(1, 2)).numpy() > 0)
    return np.stack(columns, axis=1)


specs = st.one_of(
    st.builds(
        StandardSpec,
        out_channels=st.integers(1, 4),
        groups=st.integers(1, 4),
        kernel_size=st.sampled_from([1, 3]),
        padding=st.just("same"),
    ),
    st.builds(PointwiseSpec, out_channels=st.integers(1, 6)),
    st.builds(DepthwiseSpec, multiplier=st.integers(1, 3), padding=st.just(1)),
    st.builds(
        SeparableSpec,
        out_channels=st.integers(1, 5),
        multiplier=st.integers(1, 2),
        padding=st.just(1),
    ),
)


@settings(max_examples=50, deadline=None)
@given(spec=specs, c_per_group=st.integers(1, 3))
def test_wiring_equals_torch(spec, c_per_group):
    groups = getattr(spec, "groups", 1)
    c_in = c_per_group * groups
    if isinstance(spec, StandardSpec):
        spec = spec.with_changes(out_channels=spec.out_channels * groups)
    spec = spec.with_changes(bias=False)
    stages = channel_wiring(spec, c_in)
    module = build_layer(spec, c_in, seed=1)
    parts = part_modules(module, spec)
    assert [s.name for s in stages] == [name for name, _ in parts]
    channels = c_in
    for stage, (_, part) in zip(stages, parts, strict=True):
        np.testing.assert_array_equal(stage.connectivity, measured(part, channels))
        assert len(stage.edges) == int(stage.connectivity.sum())
        channels = stage.out_channels
    np.testing.assert_array_equal(composed_connectivity(stages), measured(module, c_in))


def test_shapes_of_the_classic_cases():
    grouped = channel_wiring(StandardSpec(out_channels=4, groups=2), 6)[0]
    assert grouped.edges == [
        (0, 0),
        (1, 0),
        (2, 0),
        (0, 1),
        (1, 1),
        (2, 1),
        (3, 2),
        (4, 2),
        (5, 2),
        (3, 3),
        (4, 3),
        (5, 3),
    ]
    dw = channel_wiring(DepthwiseSpec(multiplier=2), 3)[0]
    assert dw.edges == [(0, 0), (0, 1), (1, 2), (1, 3), (2, 4), (2, 5)] and dw.groups == 3
    pw = channel_wiring(PointwiseSpec(out_channels=2), 3)[0]
    assert pw.connectivity.all() and pw.connectivity.shape == (2, 3)
    sep = channel_wiring(SeparableSpec(out_channels=4), 3)
    assert [s.name for s in sep] == ["depthwise", "pointwise"]
    assert composed_connectivity(sep).all()


def test_groups_that_do_not_divide():
    with pytest.raises(SpecError) as info:
        channel_wiring(StandardSpec(out_channels=4, groups=3), 6)
    assert info.value.field == "groups"
    with pytest.raises(SpecError):
        group_connectivity(4, 6, 4)
