"""Every tool installs into a host that is not the main window (tests/ui/fake_host.py) and
uses only the host interface and the views' public extension points."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from fake_host import FakeHost  # noqa: I001 (tests/ui is on sys.path, see conftest)

from explorer.core.analysis.costs import stack_cost
from explorer.core.io.scene import InputSpec, Scene
from explorer.core.model.specs import default_spec
from explorer.ui.tools import TOOL_NAMES, TOOLS, install_tools
from explorer.ui.tools.host import ToolHost

UI = Path(__file__).resolve().parents[3] / "explorer" / "ui"
SHAPE = (3, 16, 16)


def scene() -> Scene:
    return Scene(
        input=InputSpec(shape=SHAPE),
        layers=(
            default_spec("separable", out_channels=6),
            default_spec("pointwise", out_channels=4),
        ),
        seed=1,
    )


@pytest.fixture
def host(qtbot, tmp_path):
    h = FakeHost(scene(), tmp_path / "s.ini")
    qtbot.addWidget(h.widget)
    h.tools.update(install_tools(h))
    h.widget.resize(900, 700)
    h.widget.show()
    yield h
    presentation = h.tools.get("presentation")
    if presentation is not None:
        presentation.leave()


def texts(menu) -> list[str]:
    return [a.text() for a in menu.actions()]


def test_the_fake_host_and_the_window_host_are_tool_hosts(host, make_window):
    assert isinstance(host, ToolHost)
    win = make_window(scene(), wait=False)
    assert isinstance(win.host, ToolHost)
    assert set(win.tools) == set(TOOL_NAMES)


def test_no_tool_module_knows_the_main_window():
    for name in TOOLS:
        source = (UI / "tools" / (name.replace(".", "/") + ".py")).read_text(encoding="utf-8")
        assert not re.search(r"\bMainWindow\b|main_window", source), name
        assert re.search(r"def install\(host: ToolHost\)", source), name


def test_every_tool_installs_into_a_fake_host(host):
    assert set(host.tools) == set(TOOL_NAMES)
    assert [d.objectName() for d in host.docks] == [
        "InspectorDock",
        "WiringDock",
        "WalkthroughDock",
        "FitDock",
    ]
    assert not any(d.isVisible() for d in host.docks)
    assert {"Inspector", "Wiring"} <= set(texts(host.menus["panels"]))
    assert {
        "&Compare Standard vs Separable…",
        "&Re-measure Layer Times",
        "&Walk-through",
        "&Fit…",
    } <= set(texts(host.menus["tools"]))
    file_menu = texts(host.menus["file"])
    assert file_menu.index("E&xport") < file_menu.index("Quit")
    assert "Copy as PyTorch &Code" in texts(host.menus["edit"])
    assert "&Presentation Mode" in texts(host.menus["view"])
    assert "&Weights" in texts(host.menus["layer"])
    assert host.menus["add"].actions(), "blocks are offered in the Add menu"
    # extension points, not layouts edited from outside
    bar = host.tools["weight_tools"].bar
    assert host.weight_view.layout().itemAt(0).widget() is bar
    assert host.tools["presentation"].cost_line in host.above_maps
    assert host.tools["slides"].caption_bar in host.above_maps
    from PySide6.QtCore import Qt

    policy = host.weight_view.contextMenuPolicy()
    assert policy == Qt.ContextMenuPolicy.CustomContextMenu  # set_context_menu


def test_wiring_follows_the_hosts_run_state(qtbot, host):
    dock = host.tools["wiring_view"]
    dock.show()
    host.document.select(1)
    host.run.cost = stack_cost(SHAPE, host.document.layers)
    host.run.costs_changed.emit(host.run.cost, [])
    qtbot.waitUntil(lambda: bool(dock.view.drawn_edges()), timeout=5000)
    edges = dock.view.drawn_edges()
    assert len(edges) == 1 and len(edges[0]) == 6 * 4  # a 1×1 layer: every C_in → C_out


def test_layer_timing_installs_through_the_host_and_waits_for_a_run(host):
    timer = host.tools["layer_timing"]
    timer.remeasure()  # nothing has run: nothing to time, and nothing raised
    assert timer.timings == {}
    host.run.costs_changed.emit(None, ())  # an edit clears the shown times
    assert host.timings == {}


def test_presentation_through_the_host_keeps_the_saved_colour_map(host):
    host.settings.colormap = "magma"
    host.set_colormap("magma")
    presentation = host.tools["presentation"]
    presentation.colorblind_action.setChecked(True)
    presentation.enter(full_screen=False)
    assert host.focused == 1
    assert host.colormaps[-1] == ("cividis", False)
    assert host.settings.colormap == "magma"
    presentation.leave()
    assert host.colormaps[-1] == ("magma", False)
    assert host.focused == 0 and host.settings.colormap == "magma"


def test_export_reads_the_shown_maps_through_the_host(host):
    image = np.random.default_rng(0).random(SHAPE, dtype=np.float32)
    host.run.input_image = image
    host.document.select(-1)
    exporter = host.tools["export"]
    assert np.array_equal(exporter.shown_maps(), image)
    assert exporter.panel("weights") is host.weight_view
    assert exporter.panel("window") is host.widget
