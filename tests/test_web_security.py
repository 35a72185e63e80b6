"""Security of the workspace: sign-in, roles on the server, CSRF, escaping, limits, isolation."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from .conftest import BACKENDS
from .test_web_support import (
    PASSWORD,
    TestClient,
    WebClient,
    World,
    build_world,
    running_world,
)


@pytest.fixture(params=BACKENDS)
def world(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[World]:
    """Every security test runs on SQLite and on PostgreSQL."""
    yield from running_world(tmp_path, request.param)


PAYLOADS = (
    "<script>alert('x')</script>",
    '<svg onload="alert(1)">',
    '"><img src=x onerror=alert(1)>',
)


def _api_routes(world: World) -> list[tuple[str, str]]:
    """Every operation of the OpenAPI schema, with 1 for each path parameter."""
    routes = []
    for path, operations in world.app.openapi()["paths"].items():
        routes += [(method.upper(), re.sub(r"\{[a-z_]+\}", "1", path)) for method in operations]
    return routes


def test_anonymous_requests_are_rejected(world: World) -> None:
    client = world.client()
    routes = _api_routes(world)
    assert len(routes) >= 20
    for method, path in routes:
        assert client.request(method, path).status_code == 401, (method, path)
    bad = world.api()
    bad.headers["Authorization"] = "Bearer jst_not-a-token"
    assert bad.get("/api/maps").status_code == 401
    for page in ("/maps", f"/maps/{world.map_id}", f"/maps/{world.map_id}/edit", "/account"):
        response = client.get(page, follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"].startswith("/login")
    posted = client.post(f"/maps/{world.map_id}/edit", data={"op": "map"}, follow_redirects=False)
    assert posted.status_code in (303, 403)


def test_viewers_cannot_change_anything_on_the_server(world: World) -> None:
    api, page = world.api("viewer"), world.client("viewer")
    url = f"/api/maps/{world.map_id}"
    current = api.get(url).json()
    assert api.put(url, json={"base_version": 1, "map": current["map"]}).status_code == 403
    edit = {"base_version": 1, "op": "map", "fields": {"title": "x"}}
    assert api.post(f"{url}/edit", json=edit).status_code == 403
    assert api.post(f"{url}/versions/1/restore", json={"base_version": 1}).status_code == 403
    assert api.delete(url).status_code == 403
    upload = api.post(f"{url}/analyses", files={"file": ("e.csv", b"customer_id,ts,event\n")})
    assert upload.status_code == 403
    decision = {"pain_point": "pay:Card declined without a reason", "status": "accepted"}
    assert api.put(f"{url}/pain-points", json=decision).status_code == 403
    assert api.post("/api/maps", json={"template": "store-visit"}).status_code == 403
    form = {"op": "map", "base_version": "1", "title": "Hacked"}
    assert page.form(f"/maps/{world.map_id}/edit", form).status_code == 403
    assert page.get(f"/maps/{world.map_id}/edit").status_code == 403
    assert page.form(f"/maps/{world.map_id}/delete").status_code == 403
    assert page.form("/maps/new", {"template": "store-visit", "language": "en"}).status_code == 403
    assert world.app.state.store.get_map(world.map_id).current_version == 1
    # editors edit, but only owners delete maps and invite people
    editor = world.client("editor")
    assert editor.form(f"/maps/{world.map_id}/delete").status_code == 403
    invite = {"email": "x@example.com", "role": "owner"}
    assert editor.form("/workspace/invites", invite).status_code == 403
    assert world.api("editor").delete(url).status_code == 403


def test_form_posts_need_the_csrf_token(world: World) -> None:
    client = world.client("editor")
    form = {"op": "map", "base_version": "1", "title": "No token"}
    assert client.post(f"/maps/{world.map_id}/edit", data=form).status_code == 403
    wrong = {**form, "csrf_token": "forged"}
    assert client.post(f"/maps/{world.map_id}/edit", data=wrong).status_code == 403
    assert client.post("/logout", data={}).status_code == 403
    anonymous = world.client()
    login = {"email": "editor@example.com", "password": PASSWORD}
    assert anonymous.post("/login", data=login).status_code == 403
    upload = client.post(
        f"/maps/{world.map_id}/evidence", files={"file": ("e.csv", b"customer_id,ts,event\n")}
    )
    assert upload.status_code == 403
    assert list((world.data_dir / "uploads").iterdir()) == []  # the refused file is gone
    # the API on a session cookie needs the token as a header for changes
    url = f"/api/maps/{world.map_id}/comments"
    assert client.post(url, json={"element_id": "pay", "body": "x"}).status_code == 403
    headers = {"X-CSRF-Token": client.csrf()}
    assert (
        client.post(url, json={"element_id": "pay", "body": "x"}, headers=headers).status_code
        == 201
    )
    assert client.get(url).status_code == 200  # reads need no token
    assert world.app.state.store.get_map(world.map_id).title == "Online shop"


def test_user_text_is_escaped_everywhere(world: World) -> None:
    api = world.api("editor")
    url = f"/api/maps/{world.map_id}"
    data = api.get(url).json()["map"]
    data["title"] = PAYLOADS[0]
    data["description"] = PAYLOADS[1]
    data["personas"][0]["name"] = PAYLOADS[2]
    step = data["stages"][0]["steps"][0]
    step["name"] = PAYLOADS[1]
    step["pain_points"] = [PAYLOADS[0]]
    step["feelings"][0]["words"] = [PAYLOADS[1]]
    assert api.put(url, json={"base_version": 1, "map": data}).status_code == 200
    for payload in PAYLOADS:
        api.post(f"{url}/comments", json={"element_id": "visit", "body": payload})
    client = world.client("editor")
    pages = [
        f"/maps/{world.map_id}",
        f"/maps/{world.map_id}?state=both",
        f"/maps/{world.map_id}/edit",
        f"/maps/{world.map_id}/history",
        f"/maps/{world.map_id}/pain-points",
        "/maps",
    ]
    for page in pages:
        html = client.get(page).text
        for payload in PAYLOADS:
            assert payload not in html, (page, payload)
        assert "<svg onload" not in html and "<script>alert" not in html
        assert "&lt;script&gt;" in html or "&lt;svg" in html, page
    error = client.get("/maps/999999?x=<script>alert(1)</script>").text
    assert "<script>alert(1)" not in error


def test_uploads_past_the_limit_get_413_and_leave_nothing(tmp_path: Path) -> None:
    world = build_world(tmp_path, max_upload_bytes=1000, max_map_bytes=500)
    with TestClient(world.app):
        api = world.api("editor")
        url = f"/api/maps/{world.map_id}/analyses"
        big = b"customer_id,ts,event\n" + b"c1,2024-05-01T10:00:00,visit\n" * 100
        assert api.post(url, files={"file": ("e.csv", big)}).status_code == 413

        def chunks():  # no Content-Length: the server must count the bytes itself
            yield b'--b\r\nContent-Disposition: form-data; name="file"; filename="e.csv"\r\n\r\n'
            for _ in range(50):
                yield b"c1,2024-05-01T10:00:00,visit\n"
            yield b"\r\n--b--\r\n"

        streamed = api.post(
            url, content=chunks(), headers={"Content-Type": "multipart/form-data; boundary=b"}
        )
        assert streamed.status_code == 413
        client = world.client("editor")
        token = client.csrf()
        page = client.post(
            f"/maps/{world.map_id}/import",
            data={"csrf_token": token},
            files={"file": ("m.yaml", b"title: x\n" * 100)},
        )
        assert page.status_code == 413 and "too large" in page.text.lower()
        assert list((world.data_dir / "uploads").iterdir()) == []
        assert api.post(url, content=b"x", headers={"Content-Type": "text/csv"}).status_code == 415


def test_maps_of_other_workspaces_are_invisible(world: World) -> None:
    api, page = world.api("outsider"), world.client("outsider")
    url = f"/api/maps/{world.map_id}"
    for method, path in (("GET", url), ("GET", f"{url}/yaml"), ("GET", f"{url}/versions"),
                         ("GET", f"{url}/comments"), ("DELETE", url)):  # fmt: skip
        assert api.request(method, path).status_code == 404, path
    comment = api.post(f"{url}/comments", json={"element_id": "pay", "body": "peek"})
    assert comment.status_code == 404
    assert [m["id"] for m in api.get("/api/maps").json()] == [world.other_map_id]
    assert api.get(f"/api/maps?workspace_id={world.workspace}").status_code == 404
    create = api.post(
        "/api/maps", json={"workspace_id": world.workspace, "template": "store-visit"}
    )
    assert create.status_code == 404
    for sub in ("", "/edit", "/history", "/evidence", "/pain-points", "/export.yaml"):
        assert page.get(f"/maps/{world.map_id}{sub}").status_code == 404, sub
    listed = page.get(f"/maps?workspace={world.workspace}").text  # not a member: own list
    assert f'/maps/{world.map_id}"' not in listed and f"/maps/{world.other_map_id}" in listed
    owner = world.api("owner")
    assert owner.get(f"/api/maps/{world.other_map_id}").status_code == 404


def test_sign_in_is_rate_limited_per_user_and_address(world: World) -> None:
    client = world.client()
    for _ in range(5):
        assert client.sign_in("editor@example.com", "wrong").status_code == 401
    locked = client.sign_in("editor@example.com", PASSWORD)
    assert locked.status_code == 429 and "Retry-After" in locked.headers
    assert client.sign_in("viewer@example.com", PASSWORD).status_code == 303  # another user


def test_session_cookie_flags_and_safe_redirects(tmp_path: Path) -> None:
    world = build_world(tmp_path, secure_cookies=True)
    client = WebClient(world.app, base_url="https://testserver")
    token = client.csrf("/login")
    response = client.post(
        "/login",
        data={"email": "owner@example.com", "password": PASSWORD, "csrf_token": token,
              "next": "//evil.example/"},
        follow_redirects=False,
    )  # fmt: skip
    assert response.status_code == 303 and response.headers["location"] == "/maps"
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "secure" in cookie
    assert PASSWORD not in response.headers["set-cookie"]


@pytest.mark.parametrize("who", ["owner", "editor", "viewer"])
def test_every_role_can_read_its_workspace(world: World, who: str) -> None:
    assert world.api(who).get(f"/api/maps/{world.map_id}").status_code == 200
    assert world.client(who).get(f"/maps/{world.map_id}").status_code == 200


def test_out_of_range_ids_are_client_errors(world: World) -> None:
    client, api = world.client("owner"), world.api("owner")
    huge = 2**70
    for url in (f"/maps/{huge}", f"/maps/{world.map_id}/versions/{huge}",
                f"/maps/{world.map_id}/analyses/{huge}"):  # fmt: skip
        assert client.get(url).status_code == 422, url
    assert api.get(f"/api/maps/{huge}").status_code == 422
    assert client.get("/maps/0").status_code == 422
