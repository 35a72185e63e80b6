"""The dependency direction of the house style, and the exact public API."""

from __future__ import annotations

import ast
from pathlib import Path

import journeyscope

PACKAGE = Path(journeyscope.__file__).parent

# layer -> the only top-level modules of ours it may import (the house style's direction:
# model at the bottom, one evaluation in the middle, the surfaces on top). Every module of
# the package belongs to one of these layers.
ALLOWED: dict[str, set[str]] = {
    "sql": set(),
    "model": set(),
    "formats": {"model", "plugins"},
    "events": {"formats", "model", "plugins", "sql"},
    "engine": {
        "events",
        "plugins",
        "sql",
        "_spark",
    },  # engines differ in one place: engine + _spark
    "_spark": {"engine", "events", "sql"},
    "analytics": {"engine", "events", "model", "plugins", "shapes", "sql"},
    "insights": {"analytics", "engine", "events", "formats", "model", "plugins", "shapes", "sql"},
    "shapes": set(),
    # the registry every layer asks, and the default plugins that register each layer's
    # built-ins (imported inside the hooks: no cycle when modules load)
    "plugins": {
        "_spark",
        "analytics",
        "engine",
        "events",
        "formats",
        "insights",
        "model",
        "render",
    },
    "evaluation": {"analytics", "engine", "events", "insights", "model"},
    "render": {"analytics", "formats", "insights", "model", "plugins"},  # values in; no engine
    # synth.planted writes worlds for evaluate() (its Sources, column mappings) and scores
    # an Evaluation's findings against their truth
    "synth": {"evaluation", "events", "formats", "model"},
    "store": {"formats", "model"},
    # telling people: stores notifications, sends e-mail and webhooks; words come from callers
    "notify": {"store"},
    "web": {
        "__version__",
        "analytics",
        "evaluation",
        "events",  # the data-source pages read a file's columns and first rows
        "formats",
        "insights",
        "model",
        "render",
        "shapes",
        "notify",
        "sql",
        "store",
    },
    "demo": {"analytics", "evaluation", "formats", "insights", "model", "render", "synth"},
    "cli": {
        "analytics",
        "demo",
        "engine",
        "evaluation",
        "events",
        "formats",
        "insights",
        "model",
        "render",
        "shapes",
        "store",
        "synth",
        "web",
    },
    "__init__": {"evaluation", "formats", "model", "render"},
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


def _layer(path: Path) -> str:
    return path.relative_to(PACKAGE).parts[0].removesuffix(".py")


def test_layers_import_only_downwards() -> None:
    violations, unknown = [], set()
    for path in sorted(PACKAGE.rglob("*.py")):
        layer = _layer(path)
        if layer not in ALLOWED:
            unknown.add(layer)
            continue
        bad = _our_imports(path) - ALLOWED[layer] - {layer}
        if bad:
            violations.append(f"{path.relative_to(PACKAGE.parent)} imports {sorted(bad)}")
    assert violations == []
    assert unknown == set(), "every module belongs to a layer of ALLOWED"


def test_no_import_detours() -> None:
    """Imports are statements the guard above can see: no importlib or __import__ detours."""
    for path in sorted(PACKAGE.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        assert "import_module(" not in text and "__import__(" not in text, path.name


def test_every_declared_dependency_is_imported() -> None:
    """A dependency nothing imports is weight for every user: each one is used somewhere."""
    import tomllib

    declared = tomllib.loads((PACKAGE.parent / "pyproject.toml").read_text())["project"]
    imports = {"PyYAML": "yaml", "argon2-cffi": "argon2", "python-multipart": "python_multipart",
               "swagger-ui-bundle": "swagger_ui_bundle", "SQLAlchemy": "sqlalchemy",
               "Jinja2": "jinja2", "python-pptx": "pptx"}  # fmt: skip
    text = "\n".join(p.read_text(encoding="utf-8") for p in PACKAGE.rglob("*.py"))
    # used through a library we configure, not imported by name
    indirect = {"itsdangerous": "Starlette's SessionMiddleware signs the session cookie",
                "websockets": "uvicorn serves the live editor WebSocket with it"}  # fmt: skip
    for requirement in declared["dependencies"]:
        name = requirement.split("[")[0].split(">")[0].split("<")[0].split("=")[0].strip()
        if name in indirect:
            continue
        module = imports.get(name, name.replace("-", "_").lower())
        assert f"import {module}" in text or f"from {module}" in text, f"{name} is unused"


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
        "evaluation",
        "sql",
        "shapes",
        "_spark",
        "plugins",
        "notify",
    }
    assert exported - modules == set(journeyscope.__all__) - {"__version__"}
    for name in journeyscope.__all__:
        assert hasattr(journeyscope, name), name


def test_the_command_line_starts_without_the_engine() -> None:
    """`journeyscope --help`, `validate`, `schema`, `render -o x.svg` must start at once: the
    entry point loads no engine, data frame, statistics, database or web library (each
    command imports what it needs when it runs)."""
    import subprocess
    import sys

    heavy = ["duckdb", "scipy", "pyarrow", "pandas", "numpy", "sqlalchemy", "fastapi",
             "starlette", "uvicorn", "plotly", "pyspark", "alembic", "playwright",
             # not even the model and the map parser: `--help` is the first thing people run
             "pydantic", "yaml", "jinja2", "pluggy"]  # fmt: skip
    code = (
        "import sys, journeyscope.cli.main; "
        f"print(','.join(m for m in {heavy!r} if m in sys.modules))"
    )
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True).stdout.strip()  # fmt: skip
    assert loaded == "", f"the CLI's entry point imports {loaded}"
