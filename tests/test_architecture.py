"""The directions that keep the house readable (shared/style.md), checked on the source.

- ``app/crdt`` (the sync engine) imports only ``app.models`` and itself;
- ``app/services`` never imports the web layer (``app/web``) or the wiring (``app.main``,
  ``app.live``);
- no import cycles among the modules of ``app``;
- an import inside a function says why on its line (``# local import: <reason>``): such an
  import is a sign of a cycle, not a fix for one, unless it has another reason.

The checks read the source with ``ast`` and import nothing.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

APP = Path(__file__).resolve().parent.parent / "app"
LOCAL_IMPORT_REASON = "# local import:"


@dataclass(frozen=True)
class Import:
    module: str  # the importing module, e.g. "app.services.consent"
    target: str  # what it imports, e.g. "app.services.audit"
    line: int
    top_level: bool  # False: inside a function or class body
    source_line: str


def module_name(path: Path, root: Path) -> str:
    parts = path.relative_to(root.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _targets(node: ast.Import | ast.ImportFrom, package: str, known: set[str]) -> list[str]:
    """The modules an import statement loads (``from app.services import audit`` loads
    ``app.services.audit`` when that is a module, else ``app.services``)."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    base = node.module or ""
    if node.level:
        parent = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
        base = f"{parent}.{base}" if base else parent
    targets = [f"{base}.{alias.name}" for alias in node.names]
    return list(dict.fromkeys(t if t in known else base for t in targets))


def _imports_in(tree: ast.Module) -> Iterator[tuple[ast.Import | ast.ImportFrom, bool]]:
    """Every import statement with whether it runs when the module is imported (top level,
    including under ``if TYPE_CHECKING`` or ``try``)."""

    def visit(node: ast.AST, top: bool) -> Iterator[tuple[ast.Import | ast.ImportFrom, bool]]:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.Import | ast.ImportFrom):
                yield child, top
            nested = isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
            yield from visit(child, top and not nested)

    yield from visit(tree, True)


def collect_imports(root: Path) -> list[Import]:
    """Every import in the package at ``root`` that loads one of its own modules, and every
    import inside a function or class (of any module)."""
    paths = sorted(root.rglob("*.py"))
    known = {module_name(path, root) for path in paths}
    found: list[Import] = []
    for path in paths:
        source = path.read_text(encoding="utf-8")
        lines = source.splitlines()
        module = module_name(path, root)
        package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
        for node, top in _imports_in(ast.parse(source, filename=str(path))):
            for target in _targets(node, package, known):
                if top and target.split(".")[0] != root.name:
                    continue
                found.append(Import(module, target, node.lineno, top, lines[node.lineno - 1]))
    return found


def in_layer(module: str, layer: str) -> bool:
    return module == layer or module.startswith(layer + ".")


def layer_violations(imports: list[Import], root_name: str = "app") -> list[str]:
    """Imports that point the wrong way between the layers of the app."""
    crdt, services, web = f"{root_name}.crdt", f"{root_name}.services", f"{root_name}.web"
    wiring = (f"{root_name}.main", f"{root_name}.live")
    problems = []
    for imp in imports:
        if not in_layer(imp.target, root_name):
            continue
        if in_layer(imp.module, crdt) and not (
            in_layer(imp.target, crdt) or imp.target in (root_name, f"{root_name}.models")
        ):
            problems.append(f"{imp.module}:{imp.line} (crdt) imports {imp.target}")
        if in_layer(imp.module, services) and (in_layer(imp.target, web) or imp.target in wiring):
            problems.append(f"{imp.module}:{imp.line} (services) imports {imp.target}")
    return problems


def import_cycles(imports: list[Import]) -> list[list[str]]:
    """Every cycle among the modules, through any import, also one inside a function: such an
    import only hides a cycle (Tarjan's strongly connected components; each component with
    more than one module is a cycle)."""
    graph: dict[str, set[str]] = {}
    for imp in imports:
        if imp.module != imp.target:
            graph.setdefault(imp.module, set()).add(imp.target)
            graph.setdefault(imp.target, set())
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def connect(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                connect(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            connect(node)
    return cycles


def unexplained_local_imports(imports: list[Import]) -> list[str]:
    return [
        f"{imp.module}:{imp.line}: {imp.source_line.strip()}"
        for imp in imports
        if not imp.top_level and LOCAL_IMPORT_REASON not in imp.source_line
    ]


@pytest.fixture(scope="module")
def app_imports() -> list[Import]:
    return collect_imports(APP)


def test_the_sync_engine_imports_only_models_and_itself(app_imports: list[Import]) -> None:
    assert [p for p in layer_violations(app_imports) if "(crdt)" in p] == []


def test_services_never_import_the_web_layer(app_imports: list[Import]) -> None:
    assert [p for p in layer_violations(app_imports) if "(services)" in p] == []


def test_no_module_of_the_app_imports_itself_in_a_circle(app_imports: list[Import]) -> None:
    assert import_cycles(app_imports) == []


def test_every_import_inside_a_function_says_why(app_imports: list[Import]) -> None:
    assert unexplained_local_imports(app_imports) == []


def test_the_check_sees_the_whole_app(app_imports: list[Import]) -> None:
    # A check that finds no imports cannot fail; make sure it reads the real tree.
    modules = {imp.module for imp in app_imports}
    assert {"app.main", "app.live", "app.crdt.server", "app.services.consent"} <= modules


# --- the checks fail when a rule is broken -----------------------------------------------------


def _package(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "app"
    for name, source in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(source, encoding="utf-8")
    for directory in [root, *[p for p in root.rglob("*") if p.is_dir()]]:
        (directory / "__init__.py").touch()
    return root


def test_a_crdt_module_that_imports_a_service_is_reported(tmp_path: Path) -> None:
    root = _package(
        tmp_path,
        {
            "models.py": "",
            "settings.py": "",
            "services/documents.py": "",
            "crdt/room.py": "from app.models import Role\nfrom app.crdt import store\n",
            "crdt/store.py": "from app.services import documents\n",
            "crdt/server.py": "import app.settings\n",
        },
    )
    problems = layer_violations(collect_imports(root))
    assert problems == [
        "app.crdt.server:1 (crdt) imports app.settings",
        "app.crdt.store:1 (crdt) imports app.services.documents",
    ]


def test_a_service_that_imports_the_web_layer_is_reported(tmp_path: Path) -> None:
    root = _package(
        tmp_path,
        {
            "web/deps.py": "",
            "live.py": "",
            "services/audit.py": "from app.web.deps import SessionDep\n",
            "services/cases.py": "from app import live\n",
        },
    )
    assert layer_violations(collect_imports(root)) == [
        "app.services.audit:1 (services) imports app.web.deps",
        "app.services.cases:1 (services) imports app.live",
    ]


def test_a_cycle_is_reported_and_a_local_import_does_not_hide_it(tmp_path: Path) -> None:
    root = _package(
        tmp_path,
        {
            "services/audit.py": "from app.services import consent\n",
            "services/consent.py": "from app.services.documents import access_for\n",
            "services/documents.py": (
                "def consented():\n"
                "    from app.services import audit  # local import: hides the cycle\n"
                "    return audit\n"
            ),
            "services/shares.py": "def share():\n    from app.services import audit\n",
        },
    )
    imports = collect_imports(root)
    assert import_cycles(imports) == [
        ["app.services.audit", "app.services.consent", "app.services.documents"]
    ]
    assert unexplained_local_imports(imports) == [
        "app.services.shares:2: from app.services import audit"
    ]


def test_a_local_import_with_a_reason_is_accepted(tmp_path: Path) -> None:
    root = _package(
        tmp_path,
        {
            "pdf.py": (
                "def render():\n"
                "    import weasyprint  # local import: it loads Pango, only when printing\n"
                "    return weasyprint\n"
                "class Printer:\n"
                "    import json\n"
            ),
        },
    )
    assert unexplained_local_imports(collect_imports(root)) == ["app.pdf:5: import json"]
