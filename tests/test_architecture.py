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
               "Jinja2": "jinja2", "python-pptx": "pptx", "Pillow": "PIL"}  # fmt: skip
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


# --- tables are named by handle, SQL is quoted in one module ----------------------------------

#: where the query builders live: the packages whose SQL reads another module's tables
QUERYING = ("analytics", "insights")


def _strings(tree: ast.AST) -> list[tuple[int, str]]:
    """Every string in the module, adjacent literals joined as Python joins them; an f-string's
    placeholders become ``{}`` (so ``FROM {tables.path}`` names no table)."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            text = "".join(v.value if isinstance(v, ast.Constant) else "{}" for v in node.values)
            found.append((node.lineno, str(text)))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            found.append((node.lineno, node.value))
    return found


def _declared_tables() -> dict[str, Path]:
    """The name of every ``Table("name", ...)`` handle of the query builders -> the module
    making it."""
    declared: dict[str, Path] = {}
    for path in sorted(p for layer in QUERYING for p in (PACKAGE / layer).rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id == "Table"
                and node.args
                and isinstance(node.args[0], ast.Constant)
            ):
                declared[str(node.args[0].value)] = path
    return declared


def test_tables_are_named_by_their_handles() -> None:
    """No query names another module's table (``path``, ``bound``, ``_cust``, ``_ins_goal``...)
    by a literal: ``FROM {context.tables.path}``, ``JOIN {GOALS}``. A new table of our own
    (a name starting with ``_`` after FROM/JOIN, or handed to the engine by a literal) is
    declared as a ``Table`` too."""
    import re

    declared = _declared_tables()
    assert {"path", "bound", "_cust", "_steps", "_jseg", "_ins_goal", "_ins_seg"} <= set(declared)
    names = "|".join(re.escape(n) for n in sorted(declared, key=len, reverse=True))
    named = re.compile(rf'\b(?:FROM|JOIN)\s+"?({names}|_\w+)"?(?![\w.(])')
    made = ("materialize", "create_view", "drop", "columns")
    found = []
    for layer in QUERYING:
        for path in sorted((PACKAGE / layer).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            where = path.relative_to(PACKAGE.parent)
            found += [f"{where}:{n}: {m.group(0)!r}" for n, s in _strings(tree)
                      for m in named.finditer(s)]  # fmt: skip
            for node in ast.walk(tree):
                if (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Attribute)
                    and node.func.attr in made
                    and node.args
                    and isinstance(node.args[0], ast.Constant | ast.JoinedStr)
                ):
                    found.append(f"{where}:{node.lineno}: {node.func.attr}() of a literal name")
                if (  # a temporary table's name as a bare string, named around its handle
                    isinstance(node, ast.Constant)
                    and node.value in declared
                    and str(node.value).startswith("_")
                    and declared[str(node.value)] != path
                ):
                    found.append(f"{where}:{node.lineno}: {node.value!r}")
    # nor do the surfaces (web, render, cli, the evaluation) read those tables by name; the
    # loaded log's ``events``, ``customers`` and survey ``answers`` are the loader's and the
    # engines' own
    loaded = ("events", "customers", "answers")
    theirs = "|".join(re.escape(n) for n in declared if n not in loaded)
    outside = re.compile(rf'\b(?:FROM|JOIN)\s+"?({theirs})"?(?![\w.(])')
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.relative_to(PACKAGE).parts[0] in QUERYING:
            continue
        strings = _strings(ast.parse(path.read_text(encoding="utf-8")))
        where = path.relative_to(PACKAGE.parent)
        found += [f"{where}:{n}: {m.group(0)!r}" for n, s in strings for m in outside.finditer(s)]
    assert found == []


def test_table_handles_declare_the_columns_the_tables_have() -> None:
    """A handle's columns are the table's: ``bound_log`` selects ``bound`` by its declared
    columns, and a reader may trust them on every kind of preparation."""
    import dataclasses

    import pandas as pd

    from journeyscope.analytics import JourneyOptions, prepare
    from journeyscope.engine import connect
    from journeyscope.events import load_events
    from journeyscope.formats import parse_map
    from journeyscope.insights import build_context, build_segments
    from journeyscope.insights._context import GOALS
    from journeyscope.insights.segments import CUSTOMER_SEGMENTS, EVENT_SEGMENTS

    journey = parse_map(
        "id: shop\ntitle: Shop\nstages:\n  - id: buy\n    name: Buy\n    steps:\n"
        "      - {id: visit, name: Visit, evidence: [{event: visit}]}\n"
        "      - {id: pay, name: Pay, evidence: [{event: pay}]}\n"
    )
    events = pd.DataFrame({
        "customer_id": ["a", "a", "b", "b"], "event": ["visit", "pay", "visit", "visit"],
        "ts": ["2024-05-01 10:00", "2024-05-09 10:05", "2024-05-01 11:00", "2024-05-01 12:00"],
        "device": ["app", "web", "web", "web"],
    })  # fmt: skip
    customers = pd.DataFrame({"customer_id": ["a", "b"], "plan": ["basic", "gold"]})
    kinds = [JourneyOptions(), JourneyOptions(journey_gap_days=3, segment_by="plan")]
    for options in kinds:
        log = load_events(events, customers=customers)
        engine = connect(log)
        try:
            prepared = prepare(engine, journey, options, has_customers=True)
            handles = [
                getattr(prepared.tables, f.name) for f in dataclasses.fields(prepared.tables)
            ]
            assert (prepared.tables.journey_segments is None) == (options.segment_by is None)
            build_context(prepared, journey)
            build_segments(prepared)
            handles += [GOALS, CUSTOMER_SEGMENTS, EVENT_SEGMENTS]
            for table in (h for h in handles if h is not None):
                assert engine.columns(table.name) == list(table.columns), (options, table.name)
        finally:
            engine.close()


_QUOTES = ("'", '"', "`")


def _doubles_a_quote(node: ast.AST) -> bool:
    """``x.replace(Q, QQ)`` for a quote character Q: the heart of every quoting helper."""
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "replace"
        and len(node.args) == 2
        and all(isinstance(a, ast.Constant) for a in node.args)
        and node.args[0].value in _QUOTES
        and node.args[1].value == node.args[0].value * 2
    )


def test_sql_is_quoted_in_one_module() -> None:
    """Names and values are quoted by ``journeyscope.sql`` alone (``ident``, ``literal``,
    ``backquoted``): no other module doubles quotes, defines a quoting helper, or passes those
    functions on under another name (``q = literal``: it hides where SQL is made)."""
    helpers = {"_q", "q", "quote", "_quote_ident", "quote_ident", "_quoted", "quote_identifier"}
    ours = {"ident", "literal", "backquoted", "qualified"}
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path == PACKAGE / "sql.py":
            continue
        where = path.relative_to(PACKAGE.parent)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if _doubles_a_quote(node):
                found.append(f"{where}:{node.lineno}: doubles a quote")
            if isinstance(node, ast.FunctionDef) and node.name in helpers:
                found.append(f"{where}:{node.lineno}: def {node.name}")
            if isinstance(node, ast.Assign) and getattr(node.value, "id", None) in ours:
                found.append(f"{where}:{node.lineno}: {ast.unparse(node)}")
    assert found == []
