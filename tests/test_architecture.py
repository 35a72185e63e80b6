"""The dependency direction of the house style, and the exact public API."""

from __future__ import annotations

import ast
from pathlib import Path

import journeyscope

PACKAGE = Path(journeyscope.__file__).parent

# layer -> our top-level modules it must never import
FORBIDDEN = {
    "model": {
        "formats",
        "events",
        "analytics",
        "insights",
        "engine",
        "store",
        "render",
        "web",
        "cli",
        "synth",
        "demo",
    },
    "formats": {
        "events",
        "analytics",
        "insights",
        "engine",
        "store",
        "render",
        "web",
        "cli",
        "demo",
    },
    "events": {"analytics", "insights", "store", "render", "web", "cli", "demo"},
    "analytics": {"insights", "store", "render", "web", "cli", "demo"},
    "insights": {"store", "render", "web", "cli", "demo"},
    "render": {"store", "web", "cli", "demo"},
    "synth": {"store", "web", "cli", "render", "demo"},
    "store": {"web", "cli", "demo"},
}


def _our_imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package_parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package_parts[: len(package_parts) - node.level]
                target = (*base, *(node.module.split(".") if node.module else ()))
                names = (
                    [(*target, alias.name) for alias in node.names] if not node.module else [target]
                )
            else:
                names = [tuple((node.module or "").split("."))]
        elif isinstance(node, ast.Import):
            names = [tuple(alias.name.split(".")) for alias in node.names]
        else:
            continue
        for name in names:
            if len(name) > 1 and name[0] == "journeyscope":
                found.add(name[1])
    return found


def test_layers_import_only_downwards() -> None:
    violations = []
    for layer, forbidden in FORBIDDEN.items():
        for path in sorted((PACKAGE / layer).rglob("*.py")) + sorted(PACKAGE.glob(f"{layer}.py")):
            bad = _our_imports(path) & forbidden
            if bad:
                violations.append(f"{path.relative_to(PACKAGE.parent)} imports {sorted(bad)}")
    assert violations == []


def test_model_does_no_io() -> None:
    for path in (PACKAGE / "model").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        for module in ("yaml", "json", "os", "pathlib", "duckdb", "ibis", "sqlalchemy", "fastapi"):
            assert f"import {module}" not in text, f"{path.name} imports {module}"
        assert "open(" not in text, f"{path.name} opens files"


def test_public_api_is_exact() -> None:
    exported = {name for name in dir(journeyscope) if not name.startswith("_")}
    modules = {
        "model",
        "formats",
        "events",
        "analytics",
        "insights",
        "engine",
        "store",
        "render",
        "web",
        "cli",
        "synth",
        "demo",
    }
    assert exported - modules == set(journeyscope.__all__) - {"__version__"}
    for name in journeyscope.__all__:
        assert hasattr(journeyscope, name), name
