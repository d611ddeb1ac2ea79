"""The bundled photos and scenes are there, licensed, loadable and installable."""

from __future__ import annotations

import sys
from fnmatch import fnmatch
from pathlib import Path

import pytest
from PIL import Image

from explorer.core.errors import ImageError, SceneError
from explorer.core.io.images import load_image
from explorer.core.io.samples import (
    DEFAULT_SAMPLE,
    DEFAULT_SCENE,
    assets_dir,
    list_samples,
    list_scenes,
    sample_path,
    scene_path,
)

ROOT = Path(__file__).resolve().parents[3]


def test_there_are_colourful_samples_default_first() -> None:
    samples = list_samples()
    assert 3 <= len(samples) <= 6
    assert samples[0].name == DEFAULT_SAMPLE
    assert len({s.name for s in samples}) == len(samples)
    for sample in samples:
        assert sample.path.is_file() and sample.title and sample.credit
        image = load_image(sample.path, size=64)
        assert image.shape[0] == 3
        # colourful: the channels differ somewhere by a clear margin
        assert abs(image[0] - image[2]).mean() > 0.03, sample.name


def test_samples_are_small_and_licensed() -> None:
    licences = (assets_dir() / "samples" / "LICENSES.md").read_text(encoding="utf-8")
    for sample in list_samples():
        assert sample.path.stat().st_size <= 300_000
        with Image.open(sample.path) as image:
            assert max(image.size) <= 512
        row = next(line for line in licences.splitlines() if f"`{sample.path.name}`" in line)
        assert "public domain" in row.lower() or "cc0" in row.lower()


def test_sample_path_with_and_without_prefix() -> None:
    assert sample_path("coffee") == sample_path("sample:coffee")
    assert sample_path("coffee").name.startswith("coffee.")


def test_unknown_sample_names_the_known_ones() -> None:
    with pytest.raises(ImageError, match=r"sample:cofee: no such sample; did you mean 'coffee'\?"):
        sample_path("cofee")


def test_bundled_scenes() -> None:
    names = list_scenes()
    assert DEFAULT_SCENE in names
    assert scene_path(DEFAULT_SCENE).is_file()
    with pytest.raises(SceneError, match="no such bundled scene"):
        scene_path("no-such-scene")
    with pytest.raises(SceneError, match="no such bundled scene"):
        scene_path("../pyproject")


def test_assets_are_found_in_the_source_tree_or_the_installed_package() -> None:
    found = assets_dir()
    assert (found / "samples").is_dir()
    assert (found / "__init__.py").is_file()


def _glob_match(relative: str, pattern: str) -> bool:
    """setuptools' package-data glob: ``*`` stays within one folder."""
    parts, wanted = relative.split("/"), pattern.split("/")
    if "**" in wanted:
        return fnmatch(relative, pattern.replace("**/", "*"))
    return len(parts) == len(wanted) and all(map(fnmatch, parts, wanted))


@pytest.mark.skipif(sys.version_info < (3, 11), reason="tomllib is new in Python 3.11")
def test_pyproject_installs_every_package_and_every_asset() -> None:
    import tomllib

    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"][
        "setuptools"
    ]
    packages = set(config["packages"])
    found = {
        ".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "explorer").rglob("__init__.py")
    }
    assert found <= packages, f"add to [tool.setuptools] packages: {sorted(found - packages)}"
    assert config["package-dir"]["explorer.assets"] == "assets"
    patterns = config["package-data"]["explorer.assets"]
    assets = ROOT / "assets"
    for path in assets.rglob("*"):
        if path.is_dir() or "__pycache__" in path.parts or path.suffix == ".py":
            continue
        relative = path.relative_to(assets).as_posix()
        assert any(_glob_match(relative, pattern) for pattern in patterns), (
            f"assets/{relative} would not be installed; add it to package-data"
        )
