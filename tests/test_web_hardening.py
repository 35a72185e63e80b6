"""Hardening of the workspace (the security probe's findings): invites that are no password
oracle, password checks limited per account, sessions that end, trusted proxies only by
setting, scoped and expiring tokens, bounded bodies and values, upload extensions, tidying
after a crash, private files, and security headers with no inline script."""

from __future__ import annotations

import datetime as dt
import io
import re
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from journeyscope.web import Settings, create_app

from .conftest import BACKENDS
from .test_web_support import (
    DATA,
    PASSWORD,
    TestClient,
    WebClient,
    World,
    build_world,
    database,
    running_world,
    wait_for_analysis,
)

NEW_PASSWORD = "a brand new long password"


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def world(backend: str, tmp_path: Path) -> Iterator[World]:
    yield from running_world(tmp_path, backend)


def _world(tmp_path: Path, backend: str, **settings: Any) -> Iterator[World]:
    with database(backend) as url:
        built = build_world(tmp_path, database_url=url, **settings)
        with TestClient(built.app):
            yield built
        built.app.state.store.engine.dispose()


def _invite_link(world: World, email: str) -> str:
    owner = world.client("outsider")  # the owner of workspace B invites a member of A
    page = owner.form("/workspace/invites", {"email": email, "role": "editor"}).text
    link = re.search(r"http://testserver(/invite/[^<\s]+)", page)
    assert link, page
    return link.group(1)


# --- the invite page is no password oracle -----------------------------------------------------


def test_invites_for_existing_accounts_are_taken_while_signed_in(world: World) -> None:
    link = _invite_link(world, "viewer@example.com")
    anonymous = world.client()
    shown = anonymous.get(link, follow_redirects=False)
    assert shown.status_code == 303 and shown.headers["location"] == f"/login?next={link}"
    token = anonymous.csrf("/login")
    for guess in ("wrong-1", PASSWORD):  # a password is never checked here, right or wrong
        posted = anonymous.post(
            link,
            data={"csrf_token": token, "password": guess, "password2": guess, "name": "x"},
            follow_redirects=False,
        )
        assert posted.status_code == 303 and posted.headers["location"].startswith("/login")
    store = world.app.state.store
    assert store.role_of(world.other_workspace, world.users["viewer"]) is None
    # someone else signed in cannot take it
    editor = world.client("editor")
    assert 'type="password"' not in editor.get(link).text
    assert editor.form(link).status_code == 403
    # the account itself: no password field, one click
    viewer = world.client()
    signed = viewer.sign_in("viewer@example.com", PASSWORD)
    assert signed.status_code == 303
    page = viewer.get(link).text
    assert 'type="password"' not in page.split("<main", 1)[1]
    assert viewer.form(link, follow_redirects=False).headers["location"] == "/maps"
    assert store.role_of(world.other_workspace, world.users["viewer"]) == "editor"
    assert viewer.get("/maps").status_code == 200  # still signed in
    assert viewer.get(link).status_code == 404  # used


def test_every_password_check_is_limited_per_account(backend: str, tmp_path: Path) -> None:
    """Failures count per account from any address: changing address (here through a
    trusted proxy, so each attempt really comes from another address) does not reset it,
    and sign-in and password change share the count."""
    for world in _world(tmp_path, backend, trusted_proxies=("127.0.0.1",),
                        login_account_max_failures=4):  # fmt: skip
        signed = world.client("editor")  # signed in before the attack starts
        client = WebClient(world.app, client=("127.0.0.1", 40000))
        for n in range(2):
            client.headers["X-Forwarded-For"] = f"203.0.113.{n}"
            assert client.sign_in("editor@example.com", "wrong").status_code == 401
        wrong = {"current": "wrong", "password": NEW_PASSWORD, "password2": NEW_PASSWORD}
        for _ in range(2):
            assert signed.form("/account/password", wrong).status_code == 400
        client.headers["X-Forwarded-For"] = "198.51.100.7"
        locked = client.sign_in("editor@example.com", PASSWORD)
        assert locked.status_code == 429 and "Retry-After" in locked.headers
        assert signed.form("/account/password", wrong).status_code == 429
        assert client.sign_in("viewer@example.com", PASSWORD).status_code == 303  # others


# --- sessions that end -----------------------------------------------------------------------


def _copy_of(world: World, client: WebClient) -> WebClient:
    copy = WebClient(world.app)
    copy.cookies.update(client.cookies)
    return copy


def _signed_in(client: WebClient) -> bool:
    response = client.get("/account", follow_redirects=False)
    return response.status_code == 200


def test_signing_out_ends_the_session_for_every_copy_of_the_cookie(world: World) -> None:
    client = world.client("editor")
    stolen = _copy_of(world, client)
    assert _signed_in(stolen)
    assert client.form("/logout", follow_redirects=False).status_code == 303
    assert not _signed_in(stolen) and not _signed_in(client)
    assert stolen.get("/api/me").status_code == 401
    assert world.app.state.store.session_count(world.users["editor"]) == 0


def test_password_change_ends_other_sessions_and_tokens(world: World) -> None:
    client = world.client("editor")
    other = world.client("editor")
    api = world.api("editor")
    assert api.get("/api/me").status_code == 200
    change = {"current": PASSWORD, "password": NEW_PASSWORD, "password2": NEW_PASSWORD}
    assert client.form("/account/password", change, follow_redirects=False).status_code == 303
    assert _signed_in(client)  # this browser goes on, in a fresh session
    assert not _signed_in(other)
    assert api.get("/api/me").status_code == 401
    assert world.client().sign_in("editor@example.com", NEW_PASSWORD).status_code == 303
    assert world.client().sign_in("editor@example.com", PASSWORD).status_code == 401


def test_role_change_and_removal_end_the_members_sessions(world: World) -> None:
    owner = world.client("owner")
    editor, viewer = world.client("editor"), world.client("viewer")
    viewer_api = world.api("viewer")
    changed = owner.form("/workspace/members", {"user_id": world.users["editor"], "role": "viewer"})
    assert changed.status_code == 200
    assert not _signed_in(editor)
    assert world.api("editor").get("/api/me").status_code == 200  # a role change keeps tokens
    assert _signed_in(viewer)
    removed = owner.form(f"/workspace/members/{world.users['viewer']}/remove")
    assert removed.status_code == 200
    assert not _signed_in(viewer)
    assert viewer_api.get("/api/me").status_code == 401  # removal revokes the tokens too
    store = world.app.state.store
    assert store.role_of(world.workspace, world.users["viewer"]) is None
    assert owner.form(f"/workspace/members/{world.users['owner']}/remove").status_code == 400
    assert world.client("editor").form(
        f"/workspace/members/{world.users['owner']}/remove"
    ).status_code == 403  # fmt: skip


# --- the address of the client -----------------------------------------------------------------


def test_forwarded_for_counts_only_from_a_trusted_proxy(backend: str, tmp_path: Path) -> None:
    for world in _world(tmp_path, backend):  # default: X-Forwarded-For is not believed
        client = WebClient(world.app, client=("127.0.0.1", 40000))
        for n in range(5):
            client.headers["X-Forwarded-For"] = f"203.0.113.{n}"
            assert client.sign_in("editor@example.com", "wrong").status_code == 401
        client.headers["X-Forwarded-For"] = "203.0.113.99"
        assert client.sign_in("editor@example.com", PASSWORD).status_code == 429
    for world in _world(tmp_path / "b", backend, trusted_proxies=("127.0.0.0/8",)):
        client = WebClient(world.app, client=("127.0.0.1", 40000))
        client.headers["X-Forwarded-For"] = "203.0.113.1"
        for _ in range(5):
            assert client.sign_in("editor@example.com", "wrong").status_code == 401
        assert client.sign_in("editor@example.com", PASSWORD).status_code == 429
        client.headers["X-Forwarded-For"] = "203.0.113.2, 127.0.0.1"  # another client
        assert client.sign_in("editor@example.com", PASSWORD).status_code == 303
        # a proxy not in the list is a client like any other
        stranger = WebClient(world.app, client=("192.0.2.9", 40000))
        stranger.headers["X-Forwarded-For"] = "203.0.113.3"
        for _ in range(5):
            assert stranger.sign_in("viewer@example.com", "wrong").status_code == 401
        stranger.headers["X-Forwarded-For"] = "203.0.113.4"
        assert stranger.sign_in("viewer@example.com", PASSWORD).status_code == 429


# --- API tokens: scope and expiry ----------------------------------------------------------------


def test_read_tokens_cannot_write_and_tokens_expire(world: World) -> None:
    api = world.api("editor")
    made = api.post("/api/tokens", json={"name": "dashboard"})
    assert made.status_code == 201
    body = made.json()
    assert body["scope"] == "read"  # the default: the least a script needs
    days = (dt.datetime.fromisoformat(body["expires_at"])
            - dt.datetime.fromisoformat(body["created_at"])).days  # fmt: skip
    assert 89 <= days <= 90
    reader = world.api()
    reader.headers["Authorization"] = f"Bearer {body['token']}"
    url = f"/api/maps/{world.map_id}"
    current = reader.get(url)
    assert current.status_code == 200
    put = reader.put(url, json={"base_version": 1, "map": current.json()["map"]})
    assert put.status_code == 403
    comment = reader.post(f"{url}/comments", json={"element_id": "pay", "body": "x"})
    assert comment.status_code == 403
    assert reader.delete(url).status_code == 403
    assert reader.post("/api/tokens", json={"name": "more", "scope": "write"}).status_code == 403
    assert world.app.state.store.get_map(world.map_id).current_version == 1
    writer = api.post("/api/tokens", json={"name": "ci", "scope": "write", "days": 7}).json()
    assert writer["scope"] == "write"
    assert api.post("/api/tokens", json={"name": "x", "days": 5000}).status_code == 400
    assert api.post("/api/tokens", json={"name": "x", "days": 0}).status_code == 422
    _, expired = world.app.state.store.create_token(world.users["editor"], "old", "write", 1e-9)
    late = world.api()
    late.headers["Authorization"] = f"Bearer {expired}"
    assert late.get("/api/me").status_code == 401
    page = world.client("editor")
    page.form("/account/tokens", {"name": "page-made", "scope": "read", "days": "30"})
    listed = {t["name"]: t for t in api.get("/api/tokens").json()}
    assert listed["page-made"]["scope"] == "read" and listed["ci"]["expires_at"]


def test_token_use_is_noted_at_most_once_a_minute(world: World) -> None:
    store = world.app.state.store
    api = world.api("viewer")
    api.get("/api/me")
    first = {t.name: t.last_used_at for t in store.tokens(world.users["viewer"])}["tests"]
    assert first is not None
    for _ in range(3):
        api.get("/api/me")
    again = {t.name: t.last_used_at for t in store.tokens(world.users["viewer"])}["tests"]
    assert again == first


# --- bounded inputs ----------------------------------------------------------------------------


def test_bodies_past_the_limit_get_413(world: World) -> None:
    api = world.api("editor")
    big = b'{"template": "' + b"x" * (5 * 1024 * 1024) + b'"}'
    sized = api.post("/api/maps", content=big, headers={"Content-Type": "application/json"})
    assert sized.status_code == 413

    def chunks() -> Iterator[bytes]:  # no Content-Length: the server counts
        yield b'{"template": "'
        for _ in range(80):
            yield b"x" * 65536
        yield b'"}'

    streamed = api.post("/api/maps", content=chunks(), headers={"Content-Type": "application/json"})
    assert streamed.status_code == 413
    form = world.client()
    token = form.csrf("/login")
    huge = {"csrf_token": token, "email": "a@b.c", "password": "x" * (5 * 1024 * 1024)}
    assert form.post("/login", data=huge).status_code == 413
    yaml = api.put(
        f"/api/maps/{world.map_id}/yaml?base_version=1",
        content=chunks(),
        headers={"Content-Type": "application/yaml"},
    )
    assert yaml.status_code == 413
    assert len(world.app.state.store.list_maps(world.workspace)) == 1


def test_over_long_values_are_client_errors_on_every_backend(world: World) -> None:
    anonymous = world.client()
    long_email = "a" * 590 + "@example.com"
    response = anonymous.sign_in(long_email, "whatever")
    assert response.status_code == 400 and "too long" in response.text
    assert anonymous.sign_in("nul\x00@example.com", "x").status_code == 400
    api = world.api("editor")
    url = f"/api/maps/{world.map_id}"
    data = api.get(url).json()["map"]
    long_title = api.put(url, json={"base_version": 1, "map": {**data, "title": "T" * 600}})
    assert long_title.status_code in (400, 422) and "title" in long_title.text
    made = api.post("/api/maps", json={"map": {**data, "title": "T" * 600}})
    assert made.status_code in (400, 422)
    page = world.client("editor")
    edit = {"op": "map", "base_version": "1", "title": "T" * 600}
    assert page.form(f"/maps/{world.map_id}/edit", edit).status_code in (400, 422)
    nul = api.post(f"{url}/comments", json={"element_id": "pay", "body": "a\x00b"})
    assert nul.status_code == 400
    found = api.get(f"{url}/comments", params={"element_id": "p\x00y"})
    assert found.status_code in (200, 400)
    owner = world.client("owner")
    invite = owner.form("/workspace/invites", {"email": "a" * 400 + "@x.com", "role": "viewer"})
    assert invite.status_code == 400 and "too long" in invite.text
    assert world.app.state.store.get_map(world.map_id).current_version == 1


# --- uploads keep their real extension -------------------------------------------------------


def test_uploads_keep_their_real_extension(world: World) -> None:
    table = pacsv.read_csv(DATA / "events.csv")
    buffer = io.BytesIO()
    pq.write_table(table.filter(pa.compute.is_valid(table["customer_id"])), buffer)
    api = world.api("editor")
    response = api.post(
        f"/api/maps/{world.map_id}/analyses",
        files={"file": ("events.from-warehouse.parquet", buffer.getvalue())},
    )
    assert response.status_code == 202, response.text
    status = wait_for_analysis(api, world.map_id, response.json()["id"])
    assert status["status"] == "done", status
    assert status["filename"] == "events.from-warehouse.parquet"
    full = api.get(f"/api/maps/{world.map_id}/analyses/{status['id']}?include_result=true")
    assert full.json()["result"]["summary"]["customers"] == 40


# --- tidy failure ------------------------------------------------------------------------------


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_restart_fails_unfinished_analyses_and_deletes_their_uploads(
    backend: str, tmp_path: Path
) -> None:
    with database(backend) as url:
        world = build_world(tmp_path, database_url=url)
        store = world.app.state.store
        queued = store.create_analysis(world.map_id, 1, "customers.csv", 10, world.users["owner"])
        running = store.create_analysis(world.map_id, 1, "more.csv", 10, world.users["owner"])
        store.update_analysis(running.id, "running", 0.4)
        uploads = world.data_dir / "uploads"
        leftovers = [uploads / "tmpabc.csv", uploads / "tmpdef.parquet"]
        for path in leftovers:
            path.write_text("customer_id,ts,event\nc1,2024-01-01,visit\n")
        store.engine.dispose()  # the server "crashed"
        again = create_app(Settings(data_dir=world.data_dir, secret_key="k" * 40,
                                    database_url=url))  # fmt: skip
        with TestClient(again):
            assert [p for p in leftovers if p.exists()] == []
            for info in (queued, running):
                after = again.state.store.get_analysis(world.map_id, info.id)
                assert after.status == "failed" and after.error and "stopped" in after.error
        again.state.store.engine.dispose()


def test_files_and_folders_the_server_makes_are_private(tmp_path: Path) -> None:
    world = build_world(tmp_path)
    with TestClient(world.app):
        api = world.api("editor")
        response = api.post(
            f"/api/maps/{world.map_id}/analyses",
            files={"file": ("events.csv", (DATA / "events.csv").read_bytes())},
        )
        wait_for_analysis(api, world.map_id, response.json()["id"])
    data = world.data_dir
    assert _mode(data) == 0o700
    for folder in ("uploads", "quarantine"):
        assert _mode(data / folder) == 0o700, folder
    assert _mode(data / "journeyscope.db") == 0o600
    for extra in ("journeyscope.db-wal", "journeyscope.db-shm"):
        if (data / extra).exists():
            assert _mode(data / extra) == 0o600, extra


# --- security headers, no inline script --------------------------------------------------------

TEMPLATES = Path(__file__).resolve().parents[1] / "journeyscope" / "web" / "templates"
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I)
HANDLER = re.compile(r"\son[a-z]+\s*=", re.I)


def _assert_headers(response: Any) -> None:
    headers = response.headers
    csp = headers["content-security-policy"]
    assert (
        "script-src 'self'" in csp
        and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
    )
    assert "frame-ancestors 'none'" in csp
    assert headers["x-frame-options"] == "DENY"
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"]


def test_security_headers_on_every_response_and_no_inline_script(world: World) -> None:
    client, api = world.client("editor"), world.api("editor")
    upload = api.post(
        f"/api/maps/{world.map_id}/analyses",
        files={"file": ("events.csv", (DATA / "events.csv").read_bytes())},
    )
    analysis = wait_for_analysis(api, world.map_id, upload.json()["id"])["id"]
    base = f"/maps/{world.map_id}"
    pages = ["/maps", base, f"{base}/edit", f"{base}/history", f"{base}/evidence",
             f"{base}/pain-points", f"{base}/analyses/{analysis}",
             f"{base}/analyses/{analysis}/flows", f"{base}/analyses/{analysis}/funnel",
             "/account", "/workspace", "/docs", "/maps/new"]  # fmt: skip
    for page in pages:
        response = client.get(page)
        assert response.status_code == 200, page
        _assert_headers(response)
        assert not INLINE_SCRIPT.search(response.text), page
        assert not HANDLER.search(response.text), page
    flows = client.get(f"{base}/analyses/{analysis}/flows").text
    assert "data-figure=" in flows and "sankey" in flows
    for response in (world.client().get("/login"), api.get("/api/me"),
                     client.get("/static/app.js"), client.get("/maps/999999"),
                     world.client().get("/api/me"), client.get("/openapi.json")):  # fmt: skip
        _assert_headers(response)
    for template in TEMPLATES.glob("*.html"):
        text = template.read_text(encoding="utf-8")
        assert not INLINE_SCRIPT.search(text), template.name
        assert not HANDLER.search(text), template.name
