"""The directions that keep the house readable (shared/style.md), checked on the source.

- ``app/crdt`` (the sync engine) imports only ``app.models`` and itself;
- ``app/services`` never imports the web layer (``app/web``) or the wiring (``app.main``,
  ``app.live``);
- no import cycles among the modules of ``app``;
- an import inside a function says why on its line (``# local import: <reason>``): such an
  import is a sign of a cycle, not a fix for one, unless it has another reason;
- private internals of a library (``_``-names) are used only in that library's compat module
  (``app/crdt/compat_*.py``, ``frontend/src/compat-*.js``), which has a test of its own;
- only ``app/web/deps.py`` reads ``app.state`` (``app/main.py`` sets it).

The checks read the source (Python with ``ast``) and import nothing.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "app"
FRONTEND = ROOT / "frontend" / "src"
LOCAL_IMPORT_REASON = "# local import:"
# In the editor: a library's ``_``-member, or what y-websocket keeps for itself.
JS_INTERNALS = re.compile(r"\.(_[A-Za-z]\w*|messageHandlers)\b")


@dataclass(frozen=True)
class Import:
    module: str  # the importing module, e.g. "app.services.consent"
    target: str  # what it imports, e.g. "app.services.audit"
    line: int
    top_level: bool  # False: inside a function or class body
    source_line: str
    names: tuple[str, ...]  # every dotted part of the module and every name taken from it


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


def _names(node: ast.Import | ast.ImportFrom) -> tuple[str, ...]:
    modules = [node.module or ""] if isinstance(node, ast.ImportFrom) else []
    modules += [alias.name for alias in node.names]
    return tuple(part for name in modules for part in name.split(".") if part)


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
    """Every import in the package at ``root``, with what it loads."""
    paths = sorted(root.rglob("*.py"))
    known = {module_name(path, root) for path in paths}
    found: list[Import] = []
    for path in paths:
        source = path.read_text(encoding="utf-8")
        lines = source.splitlines()
        module = module_name(path, root)
        package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
        for node, top in _imports_in(ast.parse(source, filename=str(path))):
            names = _names(node)
            for target in _targets(node, package, known):
                line = lines[node.lineno - 1]
                found.append(Import(module, target, node.lineno, top, line, names))
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


def _loaded(importer: str, target: str) -> list[str]:
    """What importing ``target`` runs: the module and each package above it, except the
    packages the importer itself is in (they are already being imported then)."""
    parts = target.split(".")
    loaded = [".".join(parts[:n]) for n in range(1, len(parts) + 1)]
    return [m for m in loaded if m != importer and not in_layer(importer, m)]


def import_cycles(imports: list[Import]) -> list[list[str]]:
    """Every cycle among the modules, through any import, also one inside a function: such an
    import only hides a cycle (Tarjan's strongly connected components; each component with
    more than one module is a cycle)."""
    graph: dict[str, set[str]] = {}
    for imp in imports:
        for target in _loaded(imp.module, imp.target):
            graph.setdefault(imp.module, set()).add(target)
            graph.setdefault(target, set())
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


def private_library_imports(imports: list[Import], root_name: str = "app") -> list[str]:
    """Imports of a library's private module or name outside a compat module."""
    return [
        f"{imp.module}:{imp.line}: {imp.source_line.strip()}"
        for imp in imports
        if not in_layer(imp.target, root_name)
        and not imp.module.rsplit(".", 1)[-1].startswith("compat_")
        and any(part.startswith("_") and part != "__future__" for part in imp.names)
    ]


def js_internals_outside_compat(source_dir: Path) -> list[str]:
    return [
        f"{path.name}:{number}: {line.strip()}"
        for path in sorted(source_dir.glob("*.js"))
        if not path.name.startswith("compat-")
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if JS_INTERNALS.search(line.split("//", 1)[0])
    ]


def _uses_app_state(path: Path) -> bool:
    source = path.read_text(encoding="utf-8")
    if path.suffix != ".py":
        return "app.state" in source
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Attribute) and node.attr == "state":
            owner = node.value
            if (isinstance(owner, ast.Name) and owner.id == "app") or (
                isinstance(owner, ast.Attribute) and owner.attr == "app"
            ):
                return True
    return False


def app_state_readers(root: Path) -> list[str]:
    """Modules and templates that use ``app.state``, other than the two allowed."""
    allowed = {root / "web" / "deps.py", root / "main.py"}
    files = [*root.rglob("*.py"), *root.rglob("*.html")]
    return sorted(
        str(path.relative_to(root))
        for path in files
        if path not in allowed and _uses_app_state(path)
    )


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


def test_private_internals_of_libraries_are_used_only_in_compat_modules(
    app_imports: list[Import],
) -> None:
    assert private_library_imports(app_imports) == []
    assert js_internals_outside_compat(FRONTEND) == []


def test_only_the_dependencies_read_the_app_state() -> None:
    assert app_state_readers(APP) == []


def test_the_check_sees_the_whole_app(app_imports: list[Import]) -> None:
    # A check that finds no imports cannot fail; make sure it reads the real tree.
    modules = {imp.module for imp in app_imports}
    assert {"app.main", "app.live", "app.crdt.server", "app.services.consent"} <= modules
    assert any(in_layer(m, "app.web") for m in modules)
    assert (FRONTEND / "compat-y-websocket.js").is_file()


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


def test_a_cycle_through_a_package_that_imports_its_modules_is_reported(tmp_path: Path) -> None:
    root = _package(
        tmp_path,
        {
            "web/__init__.py": "from app.web import cases\n",
            "web/cases.py": "from app.services import cases\nfrom app.web import deps\n",
            "web/deps.py": "",
            "services/cases.py": "from app.web.deps import SessionDep\n",
        },
    )
    assert import_cycles(collect_imports(root)) == [
        ["app.services.cases", "app.web", "app.web.cases"]
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


def test_a_private_import_or_internal_outside_a_compat_module_is_reported(tmp_path: Path) -> None:
    root = _package(
        tmp_path,
        {
            "crdt/protocol.py": (
                "from pycrdt._sync import write_var_uint\n"
                "import pycrdt\n"
                "from pycrdt import (\n    Doc,\n    _private,\n)\n"
            ),
            "crdt/compat_pycrdt.py": "from pycrdt._sync import write_var_uint\n",
            "web/ws.py": "def serve(websocket):\n    return websocket.app.state.rooms\n",
            "web/deps.py": "def rooms(request):\n    return request.app.state.rooms\n",
            "web/api.py": '"""Never reads app.state itself."""\n',
            "templates/invite.html": "{{ request.app.state.settings.invitation_days }}",
        },
    )
    assert private_library_imports(collect_imports(root)) == [
        "app.crdt.protocol:1: from pycrdt._sync import write_var_uint",
        "app.crdt.protocol:3: from pycrdt import (",
    ]
    assert app_state_readers(root) == ["templates/invite.html", "web/ws.py"]
    frontend = tmp_path / "src"
    frontend.mkdir()
    (frontend / "connection.js").write_text(
        "// provider._updateHandler in a comment is fine\n"
        "doc.off('update', provider._updateHandler)\n"
        "provider.messageHandlers[0] = wrap\n",
        encoding="utf-8",
    )
    (frontend / "compat-y-websocket.js").write_text("provider._updateHandler\n", encoding="utf-8")
    assert js_internals_outside_compat(frontend) == [
        "connection.js:2: doc.off('update', provider._updateHandler)",
        "connection.js:3: provider.messageHandlers[0] = wrap",
    ]
