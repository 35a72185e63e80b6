"""Server-side connections of data sources: a PostgreSQL table and query, a DuckDB file's table
and a Parquet folder inside the allowed folders, set up by a workspace owner on the Data sources
page, confirmed on the same mapping page as uploads, read again by the scheduler.

Real parts: the local PostgreSQL server, DuckDB files, Parquet files, symbolic links on disk.
"""

from __future__ import annotations

import csv
import datetime as dt
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from sqlalchemy import update

from journeyscope.store.schema import SourceConnection
from journeyscope.web.settings import connections_from_env

from .conftest import BACKENDS, postgres_schema
from .test_web_evidence import analyse, confirm
from .test_web_support import (
    DATA,
    TestClient,
    World,
    build_world,
    database,
    wait_for_analysis,
)

#: a password the local server (trust) ignores: it must never reach a page or the API
SECRET = "s3cret-Pa55word"
COLUMNS = {"customer_id": "customer_id", "ts": "ts", "event": "event", "channel": "channel",
           "timezone": "UTC"}  # fmt: skip


def _rows() -> list[dict[str, str]]:
    with (DATA / "events.csv").open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture
def allowed(tmp_path: Path) -> Path:
    folder = tmp_path / "allowed"
    folder.mkdir()
    return folder


@pytest.fixture
def warehouse() -> Iterator[tuple[str, str]]:
    """A PostgreSQL schema with the shop's events table: (its URL with a password, schema)."""
    import psycopg

    with postgres_schema() as url:
        schema = url.rsplit("%3D", 1)[1]
        plain = url.replace("postgresql+psycopg://postgres@", f"postgresql://postgres:{SECRET}@")
        with psycopg.connect(plain, autocommit=True) as db:
            db.execute("CREATE TABLE events (customer_id text, ts text, event text, "
                       "channel text)")  # fmt: skip
            with db.cursor() as cursor:
                cursor.executemany(
                    "INSERT INTO events VALUES (%s, %s, %s, %s)",
                    [(r["customer_id"], r["ts"], r["event"], r["channel"]) for r in _rows()],
                )
        yield plain, schema


def _world(tmp_path: Path, allowed: Path, databases: dict[str, str]) -> Iterator[World]:
    built = build_world(tmp_path, connection_paths=(allowed,), connection_databases=databases)
    with TestClient(built.app):
        yield built
    built.app.state.store.engine.dispose()


@pytest.fixture
def world(tmp_path: Path, allowed: Path) -> Iterator[World]:
    yield from _world(tmp_path, allowed, {})


@pytest.fixture
def pg_world(tmp_path: Path, allowed: Path, warehouse: tuple[str, str]) -> Iterator[World]:
    yield from _world(tmp_path, allowed, {"warehouse": warehouse[0]})


def connect(page: Any, map_id: int, **fields: str) -> Any:
    data = {"role": "events", "refresh": "hourly", **fields}
    return page.form(f"/maps/{map_id}/connections", data, follow_redirects=False)


def _confirmed(world: World, page: Any, **fields: str) -> Any:
    """Connect, check the mapping page guessed the columns, confirm them: the source."""
    sent = connect(page, world.map_id, **fields)
    assert sent.status_code == 303, sent.text
    mapping = page.get(sent.headers["location"]).text
    assert 'id="preview"' in mapping
    for field in ("customer_id", "ts", "event", "channel"):  # guessed as for a file
        assert re.search(rf'id="field-{field}".*?<option value="{field}" selected', mapping, re.S)
    assert confirm(page, sent.headers["location"], COLUMNS).status_code == 303
    return next(s for s in world.app.state.store.sources(world.map_id) if s.name == fields["name"])


def _evaluated(world: World, page: Any) -> dict[str, Any]:
    analysis_id = analyse(page, world.map_id)
    status = wait_for_analysis(world.api("viewer"), world.map_id, analysis_id)
    assert status["status"] == "done", status
    return dict(world.api("viewer").get(f"/api/maps/{world.map_id}/evaluation").json())


def _make_old(world: World, source_id: int) -> None:
    """The connection was last read two hours ago (its hourly read is due)."""
    store = world.app.state.store
    with store.session() as session:
        hours_ago = dt.datetime.now(dt.UTC) - dt.timedelta(hours=2)
        session.execute(update(SourceConnection).where(SourceConnection.source_id == source_id)
                        .values(read_at=hours_ago))  # fmt: skip
        session.commit()


def _every_surface(world: World, who: str) -> str:
    """Every page and API document of the map's data a member can open, joined."""
    page, api, map_id = world.client(who), world.api(who), world.map_id
    texts = [page.get(f"/maps/{map_id}/sources").text, page.get(f"/maps/{map_id}").text]
    for analysis in world.app.state.store.analyses(map_id):
        texts += [page.get(f"/maps/{map_id}/analyses/{analysis.id}").text,
                  api.get(f"/api/maps/{map_id}/analyses/{analysis.id}").text]  # fmt: skip
    texts += [api.get(f"/api/maps/{map_id}/{part}").text for part in ("evaluation", "sources")]
    texts.append(api.get(f"/api/maps/{map_id}").text)
    for source in world.app.state.store.sources(map_id):
        for kept in source.files:
            texts.append(page.get(f"/maps/{map_id}/sources/{source.id}/files/{kept.id}").text)
    return "\n".join(texts)


# --- PostgreSQL: a table and a query ---------------------------------------------------------


@pytest.mark.postgres
def test_a_table_is_read_again_on_schedule_and_the_map_follows(
    pg_world: World, warehouse: tuple[str, str]
) -> None:
    """A PostgreSQL table connected by the owner, confirmed, evaluated; new rows in the table
    are read by the scheduler's round, the map is evaluated again and turns stale."""
    import psycopg

    world, (url, schema) = pg_world, warehouse
    page = world.client("owner")
    source = _confirmed(world, page, name="Warehouse", kind="table", database="warehouse",
                        table_name=f"{schema}.events")  # fmt: skip
    assert source.connection.state == "ok" and source.connection.rows == 102
    loaded = source.ready[0].report["loaded"]
    before = _evaluated(world, page)
    assert before["summary"]["events"] == loaded
    store = world.app.state.store
    # a month later: new customers, and a support chat the map does not know
    later = [(f"n{i:03d}", f"2024-06-{1 + i % 20:02d} 10:00:00", event, "web")
             for i in range(60) for event in ("visit", "chat_support")]  # fmt: skip
    with psycopg.connect(url, autocommit=True) as db, db.cursor() as cursor:
        cursor.executemany(f'INSERT INTO "{schema}".events VALUES (%s, %s, %s, %s)', later)
    _make_old(world, source.id)
    known = {a.id for a in store.analyses(world.map_id)}
    assert world.app.state.scheduler.run_once()
    queued = [a for a in store.analyses(world.map_id) if a.id not in known]
    assert len(queued) == 1  # the map whose data changed is evaluated again
    assert wait_for_analysis(world.api("viewer"), world.map_id, queued[0].id)["status"] == "done"
    after = world.api("viewer").get(f"/api/maps/{world.map_id}/evaluation").json()
    assert after["summary"]["events"] == loaded + len(later)
    fresh = store.get_source(world.map_id, source.id)
    assert [f.confirmed for f in fresh.files] == [True]  # the new reading replaced the old
    assert fresh.connection.rows == 102 + len(later)
    status = store.map_status(world.map_id)
    assert status is not None and status.state == "stale"
    assert any(e["event"] == "chat_support" for e in status.reasons["new_events"])
    badge = page.get(f"/maps/{world.map_id}/sources").text
    assert "Last read" in badge and f"{102 + len(later):,} rows" in badge
    # unchanged rows: the next due read starts no evaluation
    _make_old(world, source.id)
    known = {a.id for a in store.analyses(world.map_id)}
    assert world.app.state.scheduler.run_once()
    assert {a.id for a in store.analyses(world.map_id)} == known
    for who in ("owner", "editor", "viewer"):
        seen = _every_surface(world, who)
        assert SECRET not in seen and "127.0.0.1:5432" not in seen and "postgresql" not in seen


@pytest.mark.postgres
def test_a_query_runs_one_select_only(pg_world: World, warehouse: tuple[str, str]) -> None:
    import psycopg

    world, (url, schema) = pg_world, warehouse
    page = world.client("owner")
    query = f"SELECT customer_id, ts, event, channel FROM {schema}.events WHERE event <> 'pay'"
    source = _confirmed(world, page, name="Without payments", kind="query",
                        database="warehouse", query=query)  # fmt: skip
    assert source.connection.rows == 92 and source.ready[0].report["read"] == 92
    # other statements are refused before anything runs...
    for text in (f"DELETE FROM {schema}.events", f"SELECT 1; DROP TABLE {schema}.events",
                 f"-- a note\nDELETE FROM {schema}.events"):  # fmt: skip
        sent = connect(page, world.map_id, name="Bad", kind="query", database="warehouse",
                       query=text)  # fmt: skip
        assert sent.status_code == 400 and "Write one SELECT query" in sent.text
    # ...and a write hidden in a WITH is refused by the database (read-only transaction)
    hidden = f"WITH gone AS (DELETE FROM {schema}.events RETURNING *) SELECT * FROM gone"
    sent = connect(page, world.map_id, name="Hidden", kind="query", database="warehouse",
                   query=hidden)  # fmt: skip
    assert sent.status_code == 400 and "a connection may only read data" in sent.text
    with psycopg.connect(url) as db:
        assert db.execute(f'SELECT count(*) FROM "{schema}".events').fetchone() == (102,)
    names = [s.name for s in world.app.state.store.sources(world.map_id)]
    assert names == ["Without payments"]  # a refused connection is not kept
    # a table name that would be read as a query file, and a database nobody named
    for table in ("/etc/x.sql", "events::/etc/x.sql"):
        sent = connect(page, world.map_id, name="File", kind="table", database="warehouse",
                       table_name=table)  # fmt: skip
        assert sent.status_code == 400 and "Write the name of the table" in sent.text
    sent = connect(page, world.map_id, name="Other", kind="table", database="postgres",
                   table_name="events")  # fmt: skip
    assert sent.status_code == 400 and "databases the administrator named" in sent.text


@pytest.mark.postgres
def test_a_failing_connection_says_so_in_plain_words(
    pg_world: World, warehouse: tuple[str, str]
) -> None:
    import psycopg

    world, (url, schema) = pg_world, warehouse
    page = world.client("owner")
    source = _confirmed(world, page, name="Warehouse", kind="table", database="warehouse",
                        table_name=f"{schema}.events")  # fmt: skip
    with psycopg.connect(url, autocommit=True) as db:
        db.execute(f'ALTER TABLE "{schema}".events RENAME TO old_events')
    _make_old(world, source.id)
    assert world.app.state.scheduler.run_once()
    fresh = world.app.state.store.get_source(world.map_id, source.id)
    assert fresh.connection.state == "failed" and fresh.connection.problem == "missing"
    assert len(fresh.ready) == 1  # the last good reading stays in use
    for who in ("owner", "viewer"):
        text = world.client(who).get(f"/maps/{world.map_id}/sources").text
        assert "The last read" in text and "The table, file or folder is not there." in text
        assert "Traceback" not in text and "does not exist" not in text and SECRET not in text
        assert "127.0.0.1" not in text
    # a database the server no longer names
    world.app.state.settings.connection_databases = {}
    _make_old(world, source.id)
    assert world.app.state.scheduler.run_once()
    text = page.get(f"/maps/{world.map_id}/sources").text
    assert "The server no longer allows this database or folder" in text


# --- files on the server: a DuckDB file and a Parquet folder ---------------------------------


def _duckdb_file(path: Path) -> None:
    rows = _rows()
    con = duckdb.connect(str(path))
    con.register("rows", pa.table({k: [r[k] for r in rows] for k in rows[0]}))
    con.execute("CREATE TABLE events AS SELECT customer_id, TRY_CAST(ts AS TIMESTAMP) AS ts, "
                "event, channel FROM rows")  # fmt: skip
    con.close()


def _parquet_folder(folder: Path) -> None:
    rows = _rows()
    (folder / "2024").mkdir(parents=True)
    for n, part in enumerate((rows[:50], rows[50:])):
        columns = {k: [r[k] for r in part] for k in ("customer_id", "ts", "event", "channel")}
        pq.write_table(pa.table(columns), folder / "2024" / f"part-{n}.parquet")


def test_a_duckdb_file_and_a_parquet_folder_inside_the_allowed_folders(
    world: World, allowed: Path
) -> None:
    _duckdb_file(allowed / "shop.duckdb")
    _parquet_folder(allowed / "lake")
    page = world.client("owner")
    duck = _confirmed(world, page, name="DuckDB", kind="duckdb", path="shop.duckdb",
                      table_name="events")  # fmt: skip
    assert duck.connection.path == str((allowed / "shop.duckdb").resolve())
    assert duck.ready[0].report["read"] == 102
    lake = _confirmed(world, page, name="Lake", kind="parquet", path=str(allowed / "lake"))
    assert lake.connection.rows == 102  # the newest events source is the one evaluated
    document = _evaluated(world, page)
    assert document["summary"]["events"] == lake.ready[0].report["loaded"]
    # a later file in the folder is read by the owner's "Read now"
    later = {"customer_id": ["z1", "z1"], "ts": ["2024-06-01T10:00:00", "2024-06-01T10:05:00"],
             "event": ["visit", "pay"], "channel": ["web", "web"]}  # fmt: skip
    pq.write_table(pa.table(later), allowed / "lake" / "2024" / "part-2.parquet")
    sent = page.form(f"/maps/{world.map_id}/connections/{lake.id}/read", follow_redirects=False)
    assert sent.status_code == 303
    fresh = world.app.state.store.get_source(world.map_id, lake.id)
    assert fresh.connection.rows == 104 and len(fresh.files) == 1 and fresh.files[0].confirmed
    # the owner sees where the data comes from; others its name and status only
    owner_page = page.get(f"/maps/{world.map_id}/sources").text
    assert str(allowed / "lake") in owner_page and "Read now" in owner_page
    for who in ("editor", "viewer"):
        text = world.client(who).get(f"/maps/{world.map_id}/sources").text
        assert "Lake" in text and "Last read" in text
        assert str(allowed) not in text and "Read now" not in text and "shop.duckdb" not in text
    # the same in the API: the owner is told where, the others name and status only
    listed = {s["name"]: s for s in world.api("owner").get(f"/api/maps/{world.map_id}/sources")
              .json()}  # fmt: skip
    assert listed["Lake"]["connection"]["path"] == str((allowed / "lake").resolve())
    assert listed["Lake"]["connection"]["rows"] == 104
    for who in ("editor", "viewer"):
        sent = world.api(who).get(f"/api/maps/{world.map_id}/sources")
        assert sent.status_code == 200 and str(allowed) not in sent.text
        lake_json = next(s for s in sent.json() if s["name"] == "Lake")
        assert lake_json["connection"]["state"] == "ok" and "path" not in lake_json["connection"]
    assert world.api("outsider").get(f"/api/maps/{world.map_id}/sources").status_code == 404
    # the owner removes a connection with its snapshot
    stored = world.data_dir / fresh.files[0].stored
    sent = page.form(f"/maps/{world.map_id}/connections/{lake.id}/delete", follow_redirects=False)
    assert sent.status_code == 303 and not stored.exists()
    assert [s.name for s in world.app.state.store.sources(world.map_id)] == ["DuckDB"]


def test_paths_outside_the_allowed_folders_are_refused(
    world: World, allowed: Path, tmp_path: Path
) -> None:
    outside = tmp_path / "outside"
    _parquet_folder(outside / "lake")
    _duckdb_file(outside / "secret.duckdb")
    (allowed / "escape").symlink_to(outside / "lake", target_is_directory=True)
    (allowed / "inner").mkdir()
    (allowed / "inner" / "leak.parquet").symlink_to(outside / "lake" / "2024" / "part-0.parquet")
    (allowed / "shop.duckdb").symlink_to(outside / "secret.duckdb")
    page = world.client("owner")
    tries = [
        {"kind": "duckdb", "path": str(outside / "secret.duckdb"), "table_name": "events"},
        {"kind": "duckdb", "path": "../outside/secret.duckdb", "table_name": "events"},
        {"kind": "duckdb", "path": "shop.duckdb", "table_name": "events"},  # a link out
        {"kind": "parquet", "path": "escape"},  # a folder that is a link out
        {"kind": "parquet", "path": "inner"},  # a file in the folder that links out
        {"kind": "parquet", "path": "/"},
    ]
    for n, fields in enumerate(tries):
        sent = connect(page, world.map_id, name=f"try {n}", **fields)
        assert sent.status_code == 400, fields
        assert "outside the folders the administrator allowed" in sent.text, fields
    assert world.app.state.store.sources(world.map_id) == []
    # a DuckDB file inside whose view reads a file outside
    (outside / "secret.csv").write_text("customer_id,ts,event\nx,2024-01-01,visit\n")
    con = duckdb.connect(str(allowed / "views.duckdb"))
    con.execute(f"CREATE VIEW events AS SELECT * FROM read_csv('{outside / 'secret.csv'}')")
    con.close()
    sent = connect(page, world.map_id, name="view", kind="duckdb", path="views.duckdb",
                   table_name="events")  # fmt: skip
    assert sent.status_code == 400 and "a connection may only read data" in sent.text
    assert world.app.state.store.sources(world.map_id) == []
    # without allowed folders, files on the server cannot be connected at all
    world.app.state.settings.connection_paths = ()
    sent = connect(page, world.map_id, name="off", kind="parquet", path=str(allowed))
    assert sent.status_code == 400 and "the administrator has allowed no folder" in sent.text
    assert "not made any database or folder available" in page.get(
        f"/maps/{world.map_id}/sources").text  # fmt: skip


def test_only_a_workspace_owner_may_set_up_a_connection(world: World, allowed: Path) -> None:
    _duckdb_file(allowed / "shop.duckdb")
    fields = {"name": "DuckDB", "kind": "duckdb", "path": "shop.duckdb", "table_name": "events"}
    for who in ("editor", "viewer"):
        sent = connect(world.client(who), world.map_id, **fields)
        assert sent.status_code == 403, who
        assert "Connect data on the server" not in world.client(who).get(
            f"/maps/{world.map_id}/sources").text  # fmt: skip
    assert world.app.state.store.sources(world.map_id) == []
    outsider = connect(world.client("outsider"), world.map_id, **fields)
    assert outsider.status_code == 404
    owner = world.client("owner")
    source = _confirmed(world, owner, **fields)
    editor, kept = world.client("editor"), source.files[0]
    base = f"/maps/{world.map_id}/connections/{source.id}"
    for url in (base, f"{base}/read", f"{base}/delete",
                f"/maps/{world.map_id}/sources/{source.id}/files/{kept.id}",
                f"/maps/{world.map_id}/sources/{source.id}/files/{kept.id}/delete"):  # fmt: skip
        assert editor.form(url, {"refresh": "off", **fields}).status_code == 403, url
    assert editor.get(f"/maps/{world.map_id}/sources/{source.id}/files/{kept.id}").status_code \
        == 403  # fmt: skip
    # nor may anyone upload a file into a connection's periods
    token = editor.csrf("/account")
    form = {"csrf_token": token, "source": str(source.id)}
    sent = editor.post(f"/maps/{world.map_id}/sources", data=form,
                       files={"file": ("e.csv", b"a,b\n1,2\n")})  # fmt: skip
    assert sent.status_code == 400
    # the owner changes how often it is read
    changed = owner.form(base, {**fields, "refresh": "off"}, follow_redirects=False)
    assert changed.status_code == 303
    again = world.app.state.store.get_source(world.map_id, source.id)
    assert again.connection.refresh == "off"
    assert world.app.state.store.due_connections() == []


def test_the_allow_lists_come_from_the_environment() -> None:
    env = {
        "JOURNEYSCOPE_CONNECTION_PATHS": os.pathsep.join(["/srv/lake", "/srv/duck"]),
        "JOURNEYSCOPE_CONNECTION_DATABASES": "sales=postgresql://u:pw@db/sales\n"
        "crm=postgresql://u@crm/crm",
    }
    found = connections_from_env(env)
    assert found["connection_paths"] == (Path("/srv/lake"), Path("/srv/duck"))
    assert found["connection_databases"] == {"sales": "postgresql://u:pw@db/sales",
                                             "crm": "postgresql://u@crm/crm"}  # fmt: skip
    assert connections_from_env({}) == {"connection_paths": (), "connection_databases": {}}
    with pytest.raises(ValueError, match="NAME=postgresql") as refused:
        connections_from_env({"JOURNEYSCOPE_CONNECTION_DATABASES": "mysql://u:pw@x/y"})
    assert "pw" not in str(refused.value)
    from journeyscope.web import Settings

    assert "pw" not in repr(Settings(**found))


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_store_keeps_connections_on_every_backend(backend: str, tmp_path: Path) -> None:
    from journeyscope.formats import load_map
    from journeyscope.store import StoreError, open_store, sqlite_url

    with database(backend) as url:
        store = open_store(url or sqlite_url(tmp_path / "store.db"))
        owner = store.create_user("o@example.com", "O", "pw-owner-1").id
        space = store.create_workspace("Team", owner).id
        map_id = store.create_map(space, load_map(DATA / "shop.yaml"), owner).id
        fields = {"kind": "query", "database": "sales", "query": "SELECT 1", "refresh": "hourly"}
        source = store.create_source(map_id, "Sales", "events", owner, connection=fields)
        assert source.connection is not None and source.connection.state == "new"
        assert [s.id for s in store.due_connections()] == [source.id]  # never read yet
        store.record_connection_read(source.id, "ok", rows=7, fingerprint="7:1")
        assert store.due_connections() == []
        later = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1, minutes=1)
        assert [s.id for s in store.due_connections(later)] == [source.id]
        store.record_connection_read(source.id, "failed", "unreachable")
        kept = store.get_source(map_id, source.id).connection
        assert (kept.state, kept.problem, kept.rows) == ("failed", "unreachable", 7)
        store.update_connection(source.id, refresh="off", query="SELECT 2")
        changed = store.get_source(map_id, source.id).connection
        assert (changed.refresh, changed.query, changed.state) == ("off", "SELECT 2", "new")
        assert store.due_connections(later) == []
        with pytest.raises(StoreError):
            store.update_connection(source.id, kind="mysql")
        store.add_source_file(source.id, "Sales", "sources/x.parquet", 1, None)
        store.delete_source(map_id, source.id)
        assert store.sources(map_id) == [] and store.stored_source_files() == set()
        store.close()


def test_serve_refuses_a_database_entry_it_cannot_read(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from journeyscope.cli.main import app as cli

    env = {"JOURNEYSCOPE_CONNECTION_DATABASES": "sales:postgresql://u:pw@db/sales"}
    result = CliRunner().invoke(cli, ["serve", "--data-dir", str(tmp_path)], env=env)
    assert result.exit_code == 2
    assert "NAME=postgresql" in result.output and "pw" not in result.output
