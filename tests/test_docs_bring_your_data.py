"""Every recipe of docs/analytics.md's "Bring your data" runs as written, on the committed
sample exports copied under the names the recipes use, and prints what the docs show."""

from __future__ import annotations

import contextlib
import io
import re
import shlex
import shutil
import uuid
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from journeyscope.cli.main import app

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data" / "exports"
SAMPLES = {
    "events_20240601.parquet": "ga4.parquet",
    "events_20240601.jsonl": "ga4.jsonl",
    "segment.jsonl": "segment.jsonl",
    "mixpanel.jsonl": "mixpanel.jsonl",
    "amplitude.jsonl": "amplitude.jsonl",
    "tickets.jsonl": "zendesk.jsonl",
    "snowplow.tsv": "snowplow.tsv",
    "freshdesk-tickets.csv": "freshdesk.csv",
    "conversations.csv": "intercom.csv",
    "qualtrics.csv": "qualtrics.csv",
    "tickets.csv": "several/tickets.csv",
    "identities.csv": "several/identities.csv",
    "exports/2024-06-01.csv": "glob/2024-06-01.csv",
    "exports/2024-06-02.csv": "glob/2024-06-02.csv",
}


def _section() -> str:
    text = (ROOT / "docs" / "analytics.md").read_text(encoding="utf-8")
    start = text.index("## Bring your data")
    end = text.index("\n## ", start + 3)
    return text[start:end]


def _blocks() -> list[tuple[str, str, str]]:
    """(language, code, the text block right after it or '') of the section, in order."""
    found = re.findall(r"```(\w+)\n(.*?)```", _section(), re.DOTALL)
    out = []
    for i, (lang, code) in enumerate(found):
        if lang in ("bash", "python"):
            after = found[i + 1] if i + 1 < len(found) and found[i + 1][0] == "text" else ("", "")
            out.append((lang, code, after[1]))
    return out


def _sources_yaml() -> str:
    return next(code for lang, code in re.findall(r"```(\w+)\n(.*?)```", _section(), re.DOTALL)
                if lang == "yaml" and code.startswith("# sources.yaml"))  # fmt: skip


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name, sample in SAMPLES.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(DATA / sample, tmp_path / name)
    (tmp_path / "sources.yaml").write_text(_sources_yaml(), encoding="utf-8")
    (tmp_path / "app.csv").write_text("customer_id,ts,event\na,1717236000123,app_open\n")
    (tmp_path / "cases.csv").write_text("case,activity\nc1,register\nc1,check\nc2,register\n")
    (tmp_path / "accounts.csv").write_text("account,plan\nc1,pro\nc2,free\n")
    con = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    con.execute("CREATE SCHEMA analytics")
    con.execute(
        "CREATE TABLE analytics.raw AS SELECT * FROM (VALUES ('a', '2024-06-01 10:00', 'visit'), "
        "('a', '2024-06-01 10:05', 'checkout'), ('b', NULL, 'visit')) v(customer_id, ts, event)"
    )
    con.execute("CREATE VIEW analytics.web_events AS SELECT * FROM analytics.raw")
    con.close()
    (tmp_path / "checkout-events.sql").write_text(
        "SELECT * FROM analytics.raw WHERE event = 'checkout'\n"
    )
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _commands(code: str) -> list[list[str]]:
    lines = code.replace("\\\n", " ").splitlines()
    return [shlex.split(line)[1:] for line in lines if line.startswith("journeyscope ")]


BLOCKS = _blocks()


def test_the_section_has_a_recipe_per_export() -> None:
    text = "\n".join(code for _, code, _ in BLOCKS)
    for name in ("ga4:", "format=ga4", "segment:", "mixpanel:", "amplitude:", "zendesk:",
                 "snowplow:", "freshdesk:", "intercom:", 'format="freshdesk"', "--customers-id",
                 "sources.yaml", "*.csv", "file_order", "duckdb:", "postgresql://",
                 'format="qualtrics"', 'format="zendesk"'):  # fmt: skip
        assert name in text, name


@pytest.mark.parametrize(
    ("lang", "code", "expected"),
    [
        pytest.param(
            *block,
            marks=[pytest.mark.postgres] if "postgresql://" in block[1] else [],
            id=f"{block[0]}-{i}",
        )
        for i, block in enumerate(BLOCKS)
    ],
)
def test_recipe_runs_and_prints_what_the_docs_show(
    folder: Path, lang: str, code: str, expected: str
) -> None:
    if lang == "python":
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            exec(compile(code, "docs/analytics.md", "exec"), {})
        assert out.getvalue() == expected
        return
    printed = ""
    schemas: list[str] = []
    try:
        for args in _commands(code):
            args = [_local_postgres(a, schemas) for a in args]
            result = CliRunner().invoke(app, [*args, "-f", "json", "-o", str(folder / "out.json")])
            assert result.exit_code == 0, result.output
            printed += result.stderr
    finally:
        _drop(schemas)
    for line in expected.splitlines():
        assert line in printed, line


_SERVER = "postgresql://postgres@127.0.0.1:5432/test"


def _local_postgres(arg: str, schemas: list[str]) -> str:
    """The recipe's server as the test server, its ``web.events`` a fresh table of three rows
    in a schema of its own."""
    if not arg.startswith("postgresql://"):
        return arg
    import psycopg

    schema = f"t_{uuid.uuid4().hex[:12]}"
    schemas.append(schema)
    with psycopg.connect(_SERVER, autocommit=True) as db:
        db.execute(f'CREATE SCHEMA "{schema}"')
        db.execute(f'CREATE TABLE "{schema}".events (customer_id text, ts timestamptz, event text)')
        rows = "('a', '2024-06-01 10:00Z', 'visit'), ('a', '2024-06-01 10:05Z', 'checkout')"
        db.execute(f"INSERT INTO \"{schema}\".events VALUES {rows}, ('b', NULL, 'visit')")
    table = arg.split("::", 1)[1].replace("web.", f"{schema}.", 1)
    return f"{_SERVER}::{table}"


def _drop(schemas: list[str]) -> None:
    if not schemas:
        return
    import psycopg

    with psycopg.connect(_SERVER, autocommit=True) as db:
        for schema in schemas:
            db.execute(f'DROP SCHEMA "{schema}" CASCADE')
