"""Issue 10's goal, guarded: "a new kind is one module plus its tests; the kind is branched on
in at most 5 modules".

A module *branches on the kind* when, outside ``explorer/core/model/kinds/`` (where the kinds
are declared), it

* calls ``isinstance``/``issubclass`` with a layer kind's class (``StandardSpec``, …),
* matches a kind's class in a ``match`` statement (``case SeparableSpec():``),
* compares a ``.kind`` attribute with a kind's name written in the code
  (``spec.kind == "separable"``, ``x.kind in ("standard", "depthwise")``) — numpy's
  ``array.dtype.kind`` is not a layer kind and is left out, and so is comparing two layers'
  kinds with each other (``result.kind != spec.kind``: "did the kind change"), which names
  no kind,
* compares a kind's class, or ``type(x).__name__`` / ``x.__class__.__name__`` with a name
  (the same test, spelled differently).

This is the AST form of the issue's count,
``git grep -lE 'isinstance\\([^)]*(Standard|Pointwise|Depthwise|Separable)Spec|\\.kind ==|kind in \\('``,
widened to every registered kind and every comparison operator.

A local variable that merely holds a kind's name (``kind == "separable"``) is counted apart,
by :func:`test_no_new_module_compares_a_kind_name`, against a list of the modules known to
do it, which may only shrink.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from explorer.core.model.kinds import REGISTRY
from explorer.core.model.kinds.base import LayerSpec

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "explorer"
KINDS_DIR = PACKAGE / "core" / "model" / "kinds"
MAX_BRANCHING_MODULES = 5
#: Modules that compare a variable named ``kind`` with a kind's name (see the docstring).
KNOWN_KIND_NAME_COMPARES: set[str] = set()


def kind_class_names() -> set[str]:
    """The registered kinds' classes and their private bases (``_PoolSpec``), not
    ``LayerSpec`` itself (``isinstance(x, LayerSpec)`` is a type check, not a branch)."""
    names = set()
    for cls in REGISTRY.values():
        for base in cls.__mro__:
            if isinstance(base, type) and issubclass(base, LayerSpec) and base is not LayerSpec:
                names.add(base.__name__)
    return names


def _names(node: ast.AST) -> set[str]:
    """The class names an ``isinstance`` second argument (or a comparison operand) refers
    to: ``A``, ``mod.A``, ``(A, B)``."""
    if isinstance(node, ast.Name):
        return {node.id}
    if isinstance(node, ast.Attribute):
        return {node.attr}
    if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
        return set().union(*(_names(e) for e in node.elts)) if node.elts else set()
    if isinstance(node, ast.BinOp):  # isinstance(x, A | B)
        return _names(node.left) | _names(node.right)
    return set()


def _is_kind_attribute(node: ast.AST) -> bool:
    """``something.kind``, but not numpy's ``something.dtype.kind``."""
    if not (isinstance(node, ast.Attribute) and node.attr == "kind"):
        return False
    owner = node.value
    return not (isinstance(owner, ast.Attribute) and owner.attr == "dtype")


def _is_type_name(node: ast.AST) -> bool:
    """``type(x).__name__`` or ``x.__class__.__name__``."""
    if not (isinstance(node, ast.Attribute) and node.attr == "__name__"):
        return False
    owner = node.value
    if isinstance(owner, ast.Call) and isinstance(owner.func, ast.Name):
        return owner.func.id == "type"
    return isinstance(owner, ast.Attribute) and owner.attr == "__class__"


def kind_branches(source: str, classes: set[str]) -> list[tuple[int, str]]:
    """``(line, what)`` for every place ``source`` branches on the layer kind."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in ("isinstance", "issubclass")
            and len(node.args) == 2
            and _names(node.args[1]) & classes
        ):
            found.append((node.lineno, ast.unparse(node)))
        elif isinstance(node, ast.MatchClass) and _names(node.cls) & classes:
            found.append((node.lineno, f"case {ast.unparse(node)}"))
        elif isinstance(node, ast.Compare):
            operands = [node.left, *node.comparators]
            named = any(
                isinstance(c, ast.Constant) and isinstance(c.value, str)
                for o in operands
                for c in ast.walk(o)
            )
            by_name = named and any(_is_kind_attribute(o) or _is_type_name(o) for o in operands)
            if by_name or any(_names(o) & classes for o in operands):
                found.append((node.lineno, ast.unparse(node)))
    return found


def kind_name_compares(source: str) -> list[tuple[int, str]]:
    """``(line, what)`` for every comparison of a variable named ``kind`` with a registered
    kind's name (``kind == "separable"``, ``kind not in ("depthwise", "separable")``)."""
    kinds = set(REGISTRY)
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Compare):
            continue
        operands = [node.left, *node.comparators]
        named = any(isinstance(o, ast.Name) and o.id == "kind" for o in operands)
        constants = {
            c.value
            for o in operands
            for c in ast.walk(o)
            if isinstance(c, ast.Constant) and isinstance(c.value, str)
        }
        if named and constants & kinds:
            found.append((node.lineno, ast.unparse(node)))
    return found


def _modules() -> list[Path]:
    return [p for p in sorted(PACKAGE.rglob("*.py")) if KINDS_DIR not in p.parents]


def branching_modules() -> dict[str, list[tuple[int, str]]]:
    """Every module of ``explorer/`` (but the kinds' own) that branches on the kind."""
    classes = kind_class_names()
    out = {}
    for path in _modules():
        hits = kind_branches(path.read_text(encoding="utf-8"), classes)
        if hits:
            out[path.relative_to(ROOT).as_posix()] = hits
    return out


def _report(offenders: dict[str, list[tuple[int, str]]]) -> str:
    return "\n".join(
        f"  {module}: " + "; ".join(f"line {line}: {what[:60]}" for line, what in hits[:4])
        for module, hits in offenders.items()
    )


def test_the_kind_is_branched_on_in_at_most_five_modules() -> None:
    offenders = branching_modules()
    assert len(offenders) <= MAX_BRANCHING_MODULES, (
        f"{len(offenders)} modules branch on the layer kind (at most {MAX_BRANCHING_MODULES}); "
        "declare what differs on the kind's class in explorer/core/model/kinds/ instead:\n"
        + _report(offenders)
    )


def test_no_new_module_compares_a_kind_name() -> None:
    found = {}
    for path in _modules():
        hits = kind_name_compares(path.read_text(encoding="utf-8"))
        if hits:
            found[path.relative_to(ROOT).as_posix()] = hits
    new = {m: h for m, h in found.items() if m not in KNOWN_KIND_NAME_COMPARES}
    assert not new, "modules that compare a kind's name (declare it on the kind):\n" + _report(new)
    gone = KNOWN_KIND_NAME_COMPARES - set(found)
    assert not gone, f"no longer compare a kind's name: take them off the list: {sorted(gone)}"


# ---- the detector itself ---------------------------------------------------------------
CLASSES = {"StandardSpec", "SeparableSpec", "MaxPoolSpec", "_PoolSpec"}


@pytest.mark.parametrize(
    "source",
    [
        "if isinstance(spec, StandardSpec): pass",
        "ok = isinstance(spec, (PointwiseSpec, SeparableSpec))",
        "ok = isinstance(spec, specs.SeparableSpec)",
        "ok = isinstance(spec, MaxPoolSpec | StandardSpec)",
        "ok = issubclass(cls, _PoolSpec)",
        "if spec.kind == 'separable': pass",
        "if self.walk.kind != 'pointwise': pass",
        "if layer.kind in ('standard', 'depthwise'): pass",
        "ok = type(spec).__name__ == 'SeparableSpec'",
        "ok = spec.__class__.__name__ in ('StandardSpec',)",
        "ok = type(spec) is StandardSpec",
        "match spec:\n    case SeparableSpec():\n        pass",
    ],
)
def test_the_detector_finds_each_way_of_branching(source: str) -> None:
    assert kind_branches(source, CLASSES), source


@pytest.mark.parametrize(
    "source",
    [
        "if array.dtype.kind == 'f': pass",
        "if isinstance(spec, LayerSpec): pass",
        "if isinstance(x, InputSpec): pass",
        "spec = StandardSpec(out_channels=3)",
        "if conv.matrix: pass",
        "name = spec.kind",
        "stale = result.kind != spec.kind",
        "old = spec.kind not in V1_KINDS",
    ],
)
def test_the_detector_leaves_the_rest_alone(source: str) -> None:
    assert not kind_branches(source, CLASSES), source


def test_the_name_detector() -> None:
    assert kind_name_compares("if kind == 'separable': pass")
    assert kind_name_compares("if kind not in ('depthwise', 'separable'): pass")
    assert not kind_name_compares("if kind == 'other': pass")
    assert not kind_name_compares("if part == 'pointwise': pass")


def test_the_count_matches_the_issue_grep_on_this_tree() -> None:
    """Every module the issue's ``git grep`` finds (less numpy's ``dtype.kind``) is found
    here too, so the AST count is never lower than the grep's."""
    import re

    pattern = re.compile(
        r"isinstance\([^)]*(Standard|Pointwise|Depthwise|Separable)Spec|\.kind ==|kind in \("
    )
    grep = {
        p.relative_to(ROOT).as_posix()
        for p in _modules()
        if any(
            pattern.search(line) and ".dtype.kind" not in line
            for line in p.read_text(encoding="utf-8").splitlines()
        )
    }
    assert grep <= set(branching_modules())
