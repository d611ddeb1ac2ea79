"""Whatever a scene file holds, loading gives a Scene or a SceneError, never anything else."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from explorer.core.errors import SceneError
from explorer.core.io.scene import (
    FORMAT,
    Scene,
    load_scene,
    scene_from_dict,
    scene_to_dict,
    validate_scene,
)
from explorer.core.model.specs import SPEC_TYPES, WEIGHT_TARGETS, spec_fields

FIELD_NAMES = sorted(
    {name for cls in SPEC_TYPES.values() for name in spec_fields(cls)}
    | {
        "kind",
        "weights",
        "format",
        "version",
        "title",
        "caption",
        "seed",
        "input",
        "layers",
        "image",
        "size",
        "mode",
        "shape",
        "checkpoint",
        "key",
    }
    | {t for targets in WEIGHT_TARGETS.values() for t in targets}
)
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(-3, 70000)
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.sampled_from(
        [
            "same",
            "rgb",
            "grayscale",
            "relu",
            "sample:coffee",
            "sample:x",
            "",
            "3",
            "standard",
            "pointwise",
            "depthwise",
            "separable",
            "pic.png",
            "\x00",
            "block",
            "maxpool",
            "avgpool",
            "activation",
            "hardswish",
            "prelu",
            "leaky_relu",
            "hardsigmoid",
            "sigmoid",
        ]
    )
    | st.text(max_size=8)
)
JSON = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.sampled_from(FIELD_NAMES) | st.text(max_size=6), inner, max_size=4)
    ),
    max_leaves=12,
)


def seed_document() -> dict[str, Any]:
    return {
        "format": FORMAT,
        "version": 1,
        "title": "fuzz",
        "seed": 1,
        "input": {"image": "sample:coffee", "size": 32, "mode": "rgb"},
        "layers": [
            {
                "kind": "standard",
                "out_channels": 4,
                "kernel_size": [3, 1],
                "padding": "same",
                "weights": {"bias": [0, 1, 2, 3]},
            },
            {
                "kind": "pointwise",
                "out_channels": 2,
                "weights": {"weight": [[1, 0, 0, 0], [0, 1, 0, 0]]},
            },
            {"kind": "depthwise", "kernel_size": 3, "stride": 2, "multiplier": 2},
            {
                "kind": "separable",
                "out_channels": 3,
                "padding": 1,
                "batch_norm": True,
                "activation": "relu6",
                "weights": {"checkpoint": "w.pt", "key": "k"},
            },
        ],
    }


def seed_document_v2() -> dict[str, Any]:
    """Version 2: a block with SE and skip, pools, an activation layer, edge padding."""
    return {
        "format": FORMAT,
        "version": 2,
        "input": {"shape": [4, 12, 12]},
        "layers": [
            {
                "kind": "standard",
                "out_channels": 8,
                "stride": 2,
                "padding": [0, 1, 0, 1],
                "activation": "leaky_relu",
                "negative_slope": 0.2,
            },
            {
                "kind": "block",
                "skip": True,
                "se": True,
                "se_after": 2,
                "se_channels": 0,
                "se_activation": "relu",
                "se_gate": "hardsigmoid",
                "activation": "none",
                "layers": [
                    {"kind": "pointwise", "out_channels": 16, "activation": "hardswish"},
                    {"kind": "depthwise", "kernel_size": 3, "padding": 1, "activation": "prelu"},
                    {"kind": "pointwise", "out_channels": 8},
                ],
            },
            {"kind": "maxpool", "kernel_size": 2, "stride": 2, "ceil_mode": True},
            {"kind": "activation", "activation": "silu"},
            {"kind": "avgpool", "kernel_size": 3, "stride": 1, "padding": 1},
        ],
    }


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(node, dict):
        for key, value in node.items():
            found += _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            found += _paths(value, (*prefix, i))
    return found


@st.composite
def mutated_documents(draw: st.DrawFn, base: Any = seed_document) -> Any:
    doc = base()
    for _ in range(draw(st.integers(1, 3))):
        paths = _paths(doc)
        path = draw(st.sampled_from(paths))
        if not path:
            doc = draw(JSON) if draw(st.integers(0, 9)) == 0 else doc
            continue
        parent = doc
        for step in path[:-1]:
            parent = parent[step]
        key = path[-1]
        action = draw(st.sampled_from(["replace", "delete", "insert"]))
        if action == "replace":
            parent[key] = draw(JSON)
        elif action == "delete":
            del parent[key]
        elif isinstance(parent, dict):
            parent[draw(st.sampled_from(FIELD_NAMES) | st.text(max_size=6))] = draw(JSON)
        else:
            parent.insert(key, draw(JSON))
    return doc


def check(doc: Any, base: Path) -> None:
    try:
        scene = scene_from_dict(copy.deepcopy(doc), base, source="fuzz.json")
    except SceneError as exc:
        assert str(exc).startswith("fuzz.json: ") and "\n" not in str(exc)
        return
    assert isinstance(scene, Scene)
    # what was accepted survives a round trip, whether or not it can run
    assert scene_from_dict(scene_to_dict(scene, base), base) == scene
    try:
        validate_scene(scene)
    except SceneError as exc:
        assert "\n" not in str(exc)


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("fuzz")
    (path / "w.pt").write_bytes(b"")
    return path


def test_the_seed_document_is_valid(folder: Path) -> None:
    scene = scene_from_dict(seed_document(), folder)
    assert len(validate_scene(scene).layers) == 4


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(doc=mutated_documents())
def test_mutated_scenes_load_or_raise_scene_error(folder: Path, doc: Any) -> None:
    check(doc, folder)


def test_the_version_2_seed_document_is_valid(folder: Path) -> None:
    scene = scene_from_dict(seed_document_v2(), folder)
    assert len(validate_scene(scene).layers) == 5


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(doc=mutated_documents(seed_document_v2))
def test_mutated_version_2_scenes_load_or_raise_scene_error(folder: Path, doc: Any) -> None:
    check(doc, folder)


@settings(max_examples=100, deadline=None)
@given(doc=JSON)
def test_arbitrary_json_values(folder: Path, doc: Any) -> None:
    check(doc, folder)


@settings(max_examples=100, deadline=None)
@given(
    text=st.one_of(
        st.text(max_size=200),
        mutated_documents()
        .map(lambda d: json.dumps(d, allow_nan=True))
        .flatmap(
            lambda s: st.integers(0, len(s)).map(lambda n: s[:n])  # cut anywhere
        ),
    )
)
def test_arbitrary_file_text(folder: Path, text: str) -> None:
    path = folder / "fuzz.json"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    try:
        scene = load_scene(path)
    except SceneError as exc:
        assert str(exc).startswith(f"{path}: ") and "\n" not in str(exc)
    else:
        assert isinstance(scene, Scene)
