"""LayerPanel on a real SceneDocument: rows, actions, drag reorder, two-way selection."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QDropEvent

from explorer.core.analysis.costs import stack_cost
from explorer.core.errors import SpecError
from explorer.core.io.scene import InputSpec, Scene
from explorer.core.model.document import SceneDocument
from explorer.core.model.specs import KINDS, default_spec
from explorer.ui.panels.layer_panel import SHAPE_ROLE, LayerPanel, layer_summary, shape_text

LAYERS = (
    default_spec("standard", out_channels=8),
    default_spec("pointwise", out_channels=12),
    default_spec("depthwise", multiplier=2),
    default_spec("separable", out_channels=5, stride=2, padding=1),
)
IN_SHAPE = (3, 20, 24)


@pytest.fixture
def doc() -> SceneDocument:
    return SceneDocument(Scene(layers=LAYERS, input=InputSpec(shape=IN_SHAPE)))


@pytest.fixture
def panel(qtbot, doc) -> LayerPanel:
    widget = LayerPanel(doc)
    qtbot.addWidget(widget)
    widget.resize(320, 300)
    return widget


def texts(panel: LayerPanel) -> list[str]:
    return [panel.list.item(r).text() for r in range(panel.list.count())]


def test_rows_show_input_then_each_layer(panel, doc):
    rows = texts(panel)
    assert len(rows) == len(LAYERS) + 1
    assert rows[0].startswith("Input")
    for i, spec in enumerate(LAYERS):
        assert rows[i + 1] == layer_summary(i, spec)
        assert rows[i + 1].startswith(f"{i + 1}  {spec.kind}")
    assert "3×3 /2 → 5" in rows[4]


@pytest.mark.parametrize("kind", KINDS)
def test_add_inserts_default_spec_after_selection(panel, doc, kind):
    doc.select(1)
    panel.add_actions[kind].trigger()
    assert len(doc.layers) == len(LAYERS) + 1
    assert doc.layers[2] == default_spec(kind)
    assert doc.layers[:2] == LAYERS[:2] and doc.layers[3:] == LAYERS[2:]
    assert doc.selected == 2
    assert panel.list.currentRow() == 3
    assert panel.list.item(3).text() == layer_summary(2, default_spec(kind))


def test_add_with_input_selected_puts_layer_first(panel, doc):
    doc.select(-1)
    panel.add_actions["pointwise"].trigger()
    assert doc.layers[0] == default_spec("pointwise")
    assert doc.selected == 0


def test_remove_duplicate_buttons(panel, doc):
    doc.select(1)
    panel.action_buttons["duplicate"].click()
    assert doc.layers[1] == doc.layers[2] == LAYERS[1]
    assert doc.selected == 2 and panel.list.currentRow() == 3
    panel.action_buttons["remove"].click()
    assert doc.layers == LAYERS
    assert texts(panel)[1:] == [layer_summary(i, s) for i, s in enumerate(LAYERS)]
    doc.select(-1)
    assert not panel.remove_action.isEnabled()
    assert not panel.duplicate_action.isEnabled()
    panel.remove_action.trigger()  # disabled: nothing happens
    assert doc.layers == LAYERS


def test_move_up_down_and_enabled_state(panel, doc):
    doc.select(0)
    assert not panel.move_up_action.isEnabled()
    assert panel.move_down_action.isEnabled()
    panel.action_buttons["down"].click()
    assert doc.layers[:2] == (LAYERS[1], LAYERS[0])
    assert doc.selected == 1 and panel.list.currentRow() == 2
    panel.action_buttons["up"].click()
    assert doc.layers == LAYERS
    doc.select(len(LAYERS) - 1)
    assert not panel.move_down_action.isEnabled()


def test_shortcuts_are_set_on_the_panel(panel):
    keys = {a.shortcut().toString() for a in panel.actions()}
    assert {"Del", "Ctrl+D", "Alt+Up", "Alt+Down"} <= keys
    for action in panel.actions():
        assert action.shortcutContext() == Qt.ShortcutContext.WidgetWithChildrenShortcut


def drop_on(panel: LayerPanel, source_row: int, y: float) -> None:
    """Simulate the drop half of a drag of ``source_row`` to height ``y`` of the viewport."""
    panel.list.setCurrentRow(source_row)
    mime = panel.list.model().mimeData([panel.list.model().index(source_row, 0)])
    event = QDropEvent(
        QPointF(10, y),
        Qt.DropAction.MoveAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    # A drop from our own list: the view reads event.source()
    event.source = lambda: panel.list  # type: ignore[method-assign]
    panel.list.dropEvent(event)


def row_y(panel: LayerPanel, row: int, where: str) -> float:
    rect = panel.list.visualItemRect(panel.list.item(row))
    return rect.top() + 2 if where == "top" else rect.bottom() - 2


def test_drag_reorders_through_the_document(panel, doc):
    changes = []
    doc.changed.connect(changes.append)
    drop_on(panel, 1, row_y(panel, 3, "bottom"))  # layer 0 dropped below layer 2
    assert doc.layers == (LAYERS[1], LAYERS[2], LAYERS[0], LAYERS[3])
    assert len(changes) == 1
    assert doc.selected == 2 and panel.list.currentRow() == 3
    assert texts(panel)[3] == layer_summary(2, LAYERS[0])
    drop_on(panel, 4, row_y(panel, 0, "top"))  # above the input: becomes the first layer
    assert doc.layers[0] == LAYERS[3]
    assert texts(panel)[0].startswith("Input")
    assert len(changes) == 2


def test_drop_on_itself_changes_nothing(panel, doc):
    changes = []
    doc.changed.connect(changes.append)
    drop_on(panel, 2, row_y(panel, 2, "top"))
    assert doc.layers == LAYERS and changes == []
    assert not (panel.list.item(0).flags() & Qt.ItemFlag.ItemIsDragEnabled)
    assert panel.list.item(1).flags() & Qt.ItemFlag.ItemIsDragEnabled


def test_selection_is_two_way_without_loops(panel, doc):
    emitted = []
    doc.selection_changed.connect(emitted.append)
    panel.list.setCurrentRow(3)
    assert doc.selected == 2 and emitted == [2]
    doc.select(0)
    assert panel.list.currentRow() == 1 and emitted == [2, 0]
    doc.select(-1)
    assert panel.list.currentRow() == 0 and emitted == [2, 0, -1]


def test_edit_updates_row_in_place(panel, doc):
    items = [panel.list.item(r) for r in range(panel.list.count())]
    doc.replace_layer(1, LAYERS[1].with_changes(out_channels=99))
    assert [panel.list.item(r) for r in range(panel.list.count())] == items
    assert panel.list.item(2).text().endswith("→ 99")


def test_costs_give_shapes_and_errors_mark_the_row(panel, doc):
    cost = stack_cost(IN_SHAPE, LAYERS)
    panel.set_costs(cost)
    assert panel.list.item(0).data(SHAPE_ROLE) == "3×20×24"
    for i, layer in enumerate(cost.layers):
        assert panel.list.item(i + 1).data(SHAPE_ROLE) == shape_text(layer.output_shape)
    bad = LAYERS[:2] + (LAYERS[2].with_changes(kernel_size=40, padding=0),) + LAYERS[3:]
    doc.set_scene(Scene(layers=bad, input=doc.scene.input))
    with pytest.raises(SpecError) as info:
        stack_cost(IN_SHAPE, bad)
    panel.set_costs(stack_cost(IN_SHAPE, bad[:2]), info.value)
    bad_item = panel.list.item(3)
    assert bad_item.toolTip() == str(info.value)
    assert bad_item.foreground().color().name() == "#c62828"
    assert not bad_item.icon().isNull()
    assert panel.list.item(2).data(SHAPE_ROLE) == shape_text(cost.layers[1].output_shape)
    assert bad_item.data(SHAPE_ROLE) == "" and panel.list.item(4).data(SHAPE_ROLE) == ""
    panel.set_costs(None, None)
    assert panel.list.item(3).icon().isNull()
    assert panel.list.item(3).toolTip() != str(info.value)


def test_shape_is_drawn_right_aligned(panel, doc):
    def right_half_of_row(row: int):
        image = panel.grab().toImage()  # grab() lays the panel out first
        rect = panel.list.visualItemRect(panel.list.item(row))
        rect.translate(panel.list.viewport().mapTo(panel, rect.topLeft()) - rect.topLeft())
        return image.copy(rect.adjusted(rect.width() // 2, 0, 0, 0))

    before = right_half_of_row(2)
    assert not before.isNull() and before.width() > 50
    panel.set_costs(stack_cost(IN_SHAPE, LAYERS))
    assert right_half_of_row(2) != before
    panel.set_costs(None)
    assert right_half_of_row(2) == before


@pytest.mark.parametrize("view", ["LayerPanel", "LayerEditor", "InputPanel"])
def test_deleted_views_stop_listening(qtbot, doc, view):
    import shiboken6

    from explorer.ui.panels import input_panel, layer_editor, layer_panel

    module = {"LayerPanel": layer_panel, "LayerEditor": layer_editor, "InputPanel": input_panel}[
        view
    ]
    widget = getattr(module, view)(doc)
    shiboken6.delete(widget)
    assert not shiboken6.isValid(widget)
    doc.insert_layer(0, default_spec("pointwise"))  # would fail on the deleted widget
    doc.select(-1)
    doc.set_input(InputSpec(shape=(2, 9, 9)))
    assert len(doc.layers) == len(LAYERS) + 1


def test_keyboard_shortcuts(panel, doc, qtbot):
    panel.show()
    panel.activateWindow()
    qtbot.waitUntil(panel.isActiveWindow, timeout=2000)
    panel.list.setFocus()
    doc.select(0)
    qtbot.keyClick(panel.list, Qt.Key.Key_D, Qt.KeyboardModifier.ControlModifier)
    assert doc.layers[:2] == (LAYERS[0], LAYERS[0]) and doc.selected == 1
    qtbot.keyClick(panel.list, Qt.Key.Key_Delete)
    assert doc.layers == LAYERS and doc.selected == 1
    qtbot.keyClick(panel.list, Qt.Key.Key_Up, Qt.KeyboardModifier.AltModifier)
    assert doc.layers[:2] == (LAYERS[1], LAYERS[0]) and doc.selected == 0
    qtbot.keyClick(panel.list, Qt.Key.Key_Down, Qt.KeyboardModifier.AltModifier)
    assert doc.layers == LAYERS and doc.selected == 1
