"""The folders mean what docs/ARCHITECTURE.md says: the product (complaint_desk/) imports
nothing from model/ (where the triage model is made) or eval/ (where things are measured),
and no module import graph has a cycle, counting imports made inside functions too (so no
function-local import is there to dodge one)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("complaint_desk", "model", "eval")
MAX_LINES = 500
# the product's parts, lowest first: a part imports only parts of lower layers (docs/ARCHITECTURE.md)
LAYERS = (
    ("vocab", "errors", "pattern_index"),
    ("config", "registry", "domain", "text", "jsonl"),
    ("privacy",),
    ("store", "checks", "base_encoder"),
    ("triage", "cases"),
    ("drafting",),
    ("workflow",),
    ("services",),
    ("ui",),
    ("cli", "__init__"),
)
LAYER = {part: level for level, parts in enumerate(LAYERS) for part in parts}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(path): path for package in PACKAGES for path in (ROOT / package).rglob("*.py")}


def imported(name: str, path: Path, known: dict[str, Path]) -> set[str]:
    """Project modules a module imports anywhere in its body: `from pkg import sub` counts as
    the submodule when `sub` is one, else as the package (its __init__ runs)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1] + ([base] if base else []))
            for alias in node.names:
                found.add(f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base)
    return {module for module in found if module in known}


@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    known = modules()
    return {name: imported(name, path, known) - {name} for name, path in known.items()}


def test_the_product_imports_neither_model_nor_eval(graph: dict[str, set[str]]) -> None:
    wrong = {name: sorted(t for t in targets if t.split(".")[0] in ("model", "eval"))
             for name, targets in graph.items() if name.split(".")[0] == "complaint_desk"}
    assert not {name: targets for name, targets in wrong.items() if targets}


def part(module: str) -> str:
    """`complaint_desk.checks.rules` → `checks`; `model.train` → `model`."""
    pieces = module.split(".")
    return (pieces[1] if len(pieces) > 1 else "__init__") if pieces[0] == "complaint_desk" else pieces[0]


def test_every_product_part_has_a_layer() -> None:
    assert {part(name) for name in modules() if name.startswith("complaint_desk")} == set(LAYER)


def test_product_parts_import_only_lower_layers(graph: dict[str, set[str]]) -> None:
    upward = sorted(f"{name} → {target}" for name, targets in graph.items() if name.startswith("complaint_desk")
                    for target in targets if part(target) != part(name) and LAYER[part(target)] >= LAYER[part(name)])
    assert not upward


def test_model_does_not_import_eval(graph: dict[str, set[str]]) -> None:
    """eval/ measures what model/ makes (and reads its labelled data); model/ never reaches into eval/."""
    assert not sorted(f"{n} → {t}" for n, targets in graph.items() if part(n) == "model" for t in targets
                      if part(t) == "eval")


def test_the_module_graph_has_no_cycle(graph: dict[str, set[str]]) -> None:
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for target in sorted(graph[node]):
            if state.get(target) == 1:
                return path[path.index(target):] + [target]
            if target not in state and (cycle := visit(target)):
                return cycle
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state:
            cycle = visit(node)
            assert cycle is None, " → ".join(cycle)


def test_the_check_sees_a_cycle_and_a_wrong_direction(tmp_path: Path) -> None:
    """The parser above is what the two tests rely on: it must find both kinds of fault."""
    (tmp_path / "a.py").write_text("def f():\n    from b import g\n", encoding="utf-8")
    (tmp_path / "b.py").write_text("from a import f\n", encoding="utf-8")
    known = {"a": tmp_path / "a.py", "b": tmp_path / "b.py"}
    assert imported("a", known["a"], known) == {"b"} and imported("b", known["b"], known) == {"a"}


def test_no_source_file_is_over_the_size_limit() -> None:
    sources = [*modules().values(), ROOT / "app.py"]
    long = {str(p.relative_to(ROOT)): n for p in sources if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert not long
