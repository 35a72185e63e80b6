"""The storage contract: every test runs on SQLite and on PostgreSQL (a fresh schema each)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

from journeyscope.formats import dump_map, load_template
from journeyscope.formats.templates import template_names
from journeyscope.store import (
    Conflict,
    InvalidValue,
    NotFound,
    StaleVersion,
    Store,
    StoreError,
    current_revision,
    hash_secret,
    head_revision,
    make_engine,
    sqlite_url,
    upgrade,
)
from journeyscope.store.schema import Base

from .conftest import BACKENDS, postgres_schema


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database: a SQLite file, or a PostgreSQL schema created and dropped here."""
    if request.param == "sqlite":
        yield sqlite_url(tmp_path / "store.db")
        return
    with postgres_schema() as url:
        yield url


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    engine = make_engine(db_url)
    upgrade(engine)
    store = Store(engine)
    yield store
    store.close()


@pytest.fixture
def team(store: Store) -> tuple[int, int]:
    """A workspace with its owner: (workspace id, user id)."""
    user = store.create_user("owner@example.com", "Olga", "s3cret-pass")
    workspace = store.create_workspace("Team A", user.id)
    return workspace.id, user.id


# --- migrations ----------------------------------------------------------------------------


def test_migrations_upgrade_an_empty_database(db_url: str) -> None:
    engine = make_engine(db_url)
    assert current_revision(engine) is None
    upgrade(engine)
    assert current_revision(engine) == head_revision() == "0009"
    tables = set(inspect(engine).get_table_names())
    assert set(Base.metadata.tables) <= tables
    upgrade(engine)  # running it again on every start is harmless
    engine.dispose()


@pytest.mark.parametrize("start", ["0001", "0002", "0003"])
def test_migrations_upgrade_a_database_at_an_earlier_revision(db_url: str, start: str) -> None:
    engine = make_engine(db_url)
    upgrade(engine, start)
    assert current_revision(engine) == start
    assert ("comments" in inspect(engine).get_table_names()) == (start != "0001")
    old = Store(engine)
    user = old.create_user("early@example.com", "Early", "pw-early-1")
    workspace = old.create_workspace("Early team", user.id)
    created = old.create_map(workspace.id, load_template("support-agent"), user.id)
    with engine.begin() as connection:  # a token made before tokens had a scope and expiry
        connection.execute(
            text(
                "INSERT INTO api_tokens (user_id, name, token_hash, created_at)"
                " VALUES (:u, 'old', :h, CURRENT_TIMESTAMP)"
            ),
            {"u": user.id, "h": hash_secret("jst_old-token")},
        )
    if start == "0002":
        with engine.begin() as connection:  # an analysis stored before insights existed
            connection.execute(
                text(
                    "INSERT INTO analyses (map_id, map_version, filename, size, status, progress,"
                    " created_at) VALUES (:m, 1, 'old.csv', 1, 'done', 1.0, CURRENT_TIMESTAMP)"
                ),
                {"m": created.id},
            )
    upgrade(engine)
    assert current_revision(engine) == "0009"
    store = Store(engine)
    old_token = store.tokens(user.id)[0]
    assert old_token.scope == "write"  # it could write before: it keeps that...
    assert old_token.expires_at is not None  # ...but no longer forever
    assert old_token.expires_at < dt.datetime.now(dt.UTC) + dt.timedelta(days=91)
    assert store.user_for_token("jst_old-token").user == user  # type: ignore[union-attr]
    journey, version = store.load_journey(created.id)
    assert (journey.id, version) == ("support-agent", 1)
    assert store.authenticate("early@example.com", "pw-early-1") == user
    comment = store.add_comment(created.id, journey.stages[0].id, user.id, "Still here?")
    assert store.comments(created.id)[0] == comment
    if start == "0002":
        old_run = store.analyses(created.id)[0]
        assert old_run.filename == "old.csv"
        store.update_analysis(old_run.id, "done", 1.0, insights={"pain_points": []})
        assert store.get_analysis(created.id, old_run.id, full=True).insights == {"pain_points": []}
    engine.dispose()


def test_migrations_match_the_models(store: Store) -> None:
    with store.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert diff == []


def test_sqlite_uses_wal_and_foreign_keys(tmp_path: Path) -> None:
    engine = make_engine(sqlite_url(tmp_path / "x.db"))
    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
    engine.dispose()


# --- users, roles, tokens, invites, sign-in attempts -----------------------------------------


def test_users_have_argon2_hashes_and_unique_emails(store: Store) -> None:
    user = store.create_user("Ana@Example.com ", "Ana", "pw-123456")
    assert user.email == "ana@example.com"
    assert store.authenticate("ANA@example.com", "pw-123456") == user
    assert store.authenticate("ana@example.com", "wrong") is None
    assert store.authenticate("nobody@example.com", "pw-123456") is None
    with store.engine.connect() as connection:
        stored = connection.execute(text("SELECT password_hash FROM users")).scalar()
    assert stored.startswith("$argon2") and "pw-123456" not in stored
    with pytest.raises(Conflict):
        store.create_user("ana@example.com", "Other", "x")
    store.set_language(user.id, "he")
    assert store.get_user(user.id).language == "he"


def test_roles_and_workspaces(store: Store, team: tuple[int, int]) -> None:
    workspace_id, owner_id = team
    viewer = store.create_user("v@example.com", "Vic", "pw")
    assert store.role_of(workspace_id, viewer.id) is None
    store.set_role(workspace_id, viewer.id, "viewer")
    assert store.role_of(workspace_id, viewer.id) == "viewer"
    store.set_role(workspace_id, viewer.id, "editor")
    assert store.role_of(workspace_id, viewer.id) == "editor"
    assert [m.role for m in store.members(workspace_id)] == ["owner", "editor"]
    assert [w.role for w in store.workspaces_of(owner_id)] == ["owner"]
    with pytest.raises(StoreError):
        store.set_role(workspace_id, viewer.id, "admin")


def test_api_tokens_store_only_a_hash(store: Store, team: tuple[int, int]) -> None:
    _, owner_id = team
    info, secret = store.create_token(owner_id, "ci")
    assert store.user_for_token(secret).user.id == owner_id  # type: ignore[union-attr]
    assert store.user_for_token(secret + "x") is None
    with store.engine.connect() as connection:
        rows = connection.execute(text("SELECT token_hash FROM api_tokens")).scalars().all()
    assert secret not in rows and len(rows[0]) == 64
    assert store.tokens(owner_id)[0].last_used_at is not None
    store.revoke_token(owner_id, info.id)
    assert store.user_for_token(secret) is None
    with pytest.raises(NotFound):
        store.revoke_token(owner_id, info.id)


def test_invites_join_once_with_the_role(store: Store, team: tuple[int, int]) -> None:
    workspace_id, owner_id = team
    _, token = store.create_invite(workspace_id, "New@Example.com", "editor", owner_id)
    assert store.invite_for(token).workspace_name == "Team A"
    user = store.accept_invite(token, "Nia", "pw-nia-123")
    assert store.role_of(workspace_id, user.id) == "editor"
    with pytest.raises(NotFound):
        store.accept_invite(token, "Nia", "pw-nia-123")
    _, expired = store.create_invite(workspace_id, "late@example.com", "viewer", owner_id, -1)
    with pytest.raises(NotFound):
        store.invite_for(expired)
    # an existing account joins as itself (signed in), never by giving a password here
    second = store.create_workspace("Team B", owner_id)
    _, again = store.create_invite(second.id, "new@example.com", "viewer", owner_id)
    with pytest.raises(Conflict):
        store.accept_invite(again, "Nia", "pw-nia-123")
    with pytest.raises(Conflict):
        store.join_invite(again, owner_id)  # made out to someone else
    store.join_invite(again, user.id)
    assert store.role_of(second.id, user.id) == "viewer"
    with pytest.raises(NotFound):
        store.join_invite(again, user.id)


def test_login_failures_are_counted_until_a_success(store: Store) -> None:
    window = dt.timedelta(minutes=15)
    for _ in range(3):
        store.record_login("ana|1.2.3.4", False)
    store.record_login("bob|1.2.3.4", False)
    assert store.recent_failures("ana|1.2.3.4", window) == 3
    store.record_login("ana|1.2.3.4", True)
    assert store.recent_failures("ana|1.2.3.4", window) == 0
    assert store.recent_failures("bob|1.2.3.4", window) == 1


# --- maps, versions, concurrency -----------------------------------------------------------


@pytest.mark.parametrize("name", template_names())
def test_versions_round_trip_the_yaml_exactly(store: Store, team: tuple[int, int], name: str):
    workspace_id, owner_id = team
    for lang in ("en", "he"):
        journey = load_template(name, lang)
        created = store.create_map(workspace_id, journey, owner_id)
        text_, number = store.map_text(created.id)
        assert (text_, number) == (dump_map(journey), 1)
        assert store.load_journey(created.id)[0] == journey


def test_saves_make_versions_and_stale_saves_say_what_changed(
    store: Store, team: tuple[int, int]
) -> None:
    workspace_id, owner_id = team
    journey = load_template("support-agent")
    created = store.create_map(workspace_id, journey, owner_id)
    edited = journey.model_copy(deep=True)
    edited.title = "Support, revised"
    saved = store.save_map(created.id, edited, 1, owner_id, "retitle")
    assert (saved.current_version, saved.title) == (2, "Support, revised")
    stale = journey.model_copy(deep=True)
    stale.description = "Someone else's edit"
    with pytest.raises(StaleVersion) as error:
        store.save_map(created.id, stale, 1, owner_id)
    assert error.value.current == 2
    assert any("Support, revised" in c.sentence() for c in error.value.changes)
    history = store.versions(created.id)
    assert [(v.number, v.message, v.author) for v in history] == [
        (2, "retitle", "Olga"),
        (1, "created", "Olga"),
    ]
    assert [c.field for c in store.diff_versions(created.id, 1, 2)] == ["title"]
    restored = store.restore_version(created.id, 1, 2, owner_id)
    assert restored.current_version == 3
    assert store.load_journey(created.id)[0] == journey
    assert store.versions(created.id)[0].message == "restored version 1"


def test_maps_of_one_workspace_are_invisible_from_another(
    store: Store, team: tuple[int, int]
) -> None:
    workspace_id, owner_id = team
    other = store.create_workspace("Team B", owner_id)
    created = store.create_map(workspace_id, load_template("store-visit"), owner_id)
    assert store.get_map(created.id, workspace_id).id == created.id
    with pytest.raises(NotFound):
        store.get_map(created.id, other.id)
    assert store.list_maps(other.id) == []
    assert [m.id for m in store.list_maps(workspace_id)] == [created.id]


def test_deleting_a_map_deletes_its_versions_comments_and_analyses(
    store: Store, team: tuple[int, int]
) -> None:
    workspace_id, owner_id = team
    created = store.create_map(workspace_id, load_template("store-visit"), owner_id)
    store.add_comment(created.id, "x", owner_id, "hi")
    store.create_analysis(created.id, 1, "e.csv", 10, owner_id)
    store.delete_map(created.id, workspace_id)
    with store.engine.connect() as connection:
        for table in ("map_versions", "comments", "analyses"):
            assert connection.execute(text(f"SELECT count(*) FROM {table}")).scalar() == 0


# --- comments, decisions, analyses ---------------------------------------------------------


def test_comments_on_elements(store: Store, team: tuple[int, int]) -> None:
    workspace_id, owner_id = team
    created = store.create_map(workspace_id, load_template("store-visit"), owner_id)
    first = store.add_comment(created.id, "checkout", owner_id, "<b>Too slow</b>")
    store.add_comment(created.id, "map", owner_id, "Overall fine")
    assert [c.body for c in store.comments(created.id, "checkout")] == ["<b>Too slow</b>"]
    assert first.author == "Olga"
    with pytest.raises(StoreError):
        store.add_comment(created.id, "checkout", owner_id, "   ")
    store.delete_comment(created.id, first.id)
    assert len(store.comments(created.id)) == 1
    with pytest.raises(NotFound):
        store.delete_comment(created.id, first.id)


def test_pain_point_decisions_are_upserted(store: Store, team: tuple[int, int]) -> None:
    workspace_id, owner_id = team
    created = store.create_map(workspace_id, load_template("store-visit"), owner_id)
    store.set_decision(created.id, "pay:Slow card reader", "accepted", owner="Ops", note="fix")
    store.set_decision(created.id, "pay:Slow card reader", "dismissed", user_id=owner_id)
    decisions = store.decisions(created.id)
    assert list(decisions) == ["pay:Slow card reader"]
    assert decisions["pay:Slow card reader"].status == "dismissed"
    with pytest.raises(StoreError):
        store.set_decision(created.id, "x", "maybe")


def test_analyses_keep_status_and_json_results(store: Store, team: tuple[int, int]) -> None:
    workspace_id, owner_id = team
    created = store.create_map(workspace_id, load_template("store-visit"), owner_id)
    run = store.create_analysis(created.id, 1, "events.csv", 123, owner_id)
    assert (run.status, run.progress) == ("queued", 0.0)
    assert store.latest_analysis(created.id) is None
    store.update_analysis(run.id, "running", 0.5)
    result = {"schema": "journeyscope.analysis/1", "reach": [{"step": "é", "share": 0.5}]}
    store.update_analysis(
        run.id, "done", 1.0, result=result, quarantine={"rows": []}, insights={"pain_points": []}
    )
    latest = store.latest_analysis(created.id)
    assert latest is not None and latest.result == result and latest.finished_at is not None
    assert latest.insights == {"pain_points": []}
    assert store.get_analysis(created.id, run.id).result is None  # summaries stay light
    other = store.create_analysis(created.id, 1, "b.csv", 1, None)
    assert store.fail_unfinished("server restarted") == 1
    assert store.get_analysis(created.id, other.id).status == "failed"
    with pytest.raises(NotFound):
        store.get_analysis(created.id + 1, run.id)


def test_values_follow_the_same_rules_on_every_backend(store: Store, team: tuple[int, int]) -> None:
    """Too long for the column, or a NUL character: InvalidValue before the database, so
    SQLite (which would keep it) and PostgreSQL (which would fail) behave alike."""
    workspace_id, owner_id = team
    created = store.create_map(workspace_id, load_template("support-agent"), owner_id)
    with pytest.raises(InvalidValue, match="element id"):
        store.add_comment(created.id, "x" * 81, owner_id, "fine")
    with pytest.raises(InvalidValue, match="NUL"):
        store.add_comment(created.id, "map", owner_id, "a\x00b")
    with pytest.raises(InvalidValue, match="owner"):
        store.set_decision(created.id, "p", "open", owner="o" * 201)
    with pytest.raises(InvalidValue, match="email"):
        store.create_invite(workspace_id, "a" * 400 + "@x.com", "viewer", owner_id)
    with pytest.raises(InvalidValue, match="email"):
        store.authenticate("a" * 600, "pw")
    assert store.comments(created.id) == [] and store.invites(workspace_id) == []


def test_sessions_end_at_sign_out_password_role_change_and_removal(
    store: Store, team: tuple[int, int]
) -> None:
    workspace_id, _ = team
    member = store.create_user("m@example.com", "Mo", "pw-mo-12345")
    store.set_role(workspace_id, member.id, "editor")
    first, second = (store.start_session(member.id, 3600) for _ in range(2))
    assert store.user_for_session(first) == member
    store.end_session(first)
    assert store.user_for_session(first) is None and store.user_for_session(second) == member
    store.set_role(workspace_id, member.id, "editor")  # no change: nothing ends
    assert store.user_for_session(second) == member
    store.set_role(workspace_id, member.id, "viewer")
    assert store.user_for_session(second) is None
    _, token = store.create_token(member.id, "ci", "write")
    third = store.start_session(member.id, 3600)
    assert not store.change_password(member.id, "wrong", "new-password-1")
    assert store.user_for_session(third) == member
    assert store.change_password(member.id, "pw-mo-12345", "new-password-1")
    assert store.user_for_session(third) is None and store.user_for_token(token) is None
    fourth = store.start_session(member.id, 3600)
    _, token = store.create_token(member.id, "ci", "read")
    store.remove_member(workspace_id, member.id)
    assert store.user_for_session(fourth) is None and store.user_for_token(token) is None
    with pytest.raises(NotFound):
        store.remove_member(workspace_id, member.id)
    expired = store.start_session(member.id, -1)
    assert store.user_for_session(expired) is None


def test_tokens_have_a_scope_and_expire(store: Store, team: tuple[int, int]) -> None:
    _, owner_id = team
    info, secret = store.create_token(owner_id, "ci")
    assert info.scope == "read" and info.expires_at is not None
    assert store.user_for_token(secret).scope == "read"  # type: ignore[union-attr]
    _, short = store.create_token(owner_id, "short", "write", days=1e-9)
    assert store.user_for_token(short) is None
    with pytest.raises(StoreError):
        store.create_token(owner_id, "x", "admin")
