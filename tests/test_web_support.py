"""Shared helpers of the web tests (no tests here): an app with a small team, signed-in clients.

Kept in a test_web_* module because conftest.py belongs to the whole suite.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from starlette.exceptions import StarletteDeprecationWarning

from journeyscope.formats import load_map
from journeyscope.web import Settings, create_app

from .conftest import postgres_schema

with warnings.catch_warnings():
    # starlette asks for httpx2 on import; the httpx we have works the same for these tests
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from starlette.testclient import TestClient

DATA = Path(__file__).parent / "data" / "web"
PASSWORD = "correct horse battery"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


class WebClient(TestClient):
    """A TestClient that signs in through the real form and posts forms with the CSRF token."""

    def csrf(self, page: str = "/account") -> str:
        match = _CSRF.search(self.get(page).text)
        assert match, f"no CSRF token on {page}"
        return match.group(1)

    def sign_in(self, email: str, password: str = PASSWORD) -> Any:
        token = self.csrf("/login")
        data = {"email": email, "password": password, "csrf_token": token, "next": "/maps"}
        return self.post("/login", data=data, follow_redirects=False)

    def form(self, url: str, data: dict[str, Any] | None = None, **kw: Any) -> Any:
        token = self.csrf("/account")
        return self.post(url, data={**(data or {}), "csrf_token": token}, **kw)


@dataclass
class World:
    app: Any
    data_dir: Path
    workspace: int
    other_workspace: int
    map_id: int
    other_map_id: int
    users: dict[str, int]
    tokens: dict[str, str]

    def client(self, who: str | None = None) -> WebClient:
        client = WebClient(self.app)
        if who is not None:
            response = client.sign_in(f"{who}@example.com")
            assert response.status_code == 303, response.text
        return client

    def api(self, who: str | None = None) -> WebClient:
        client = WebClient(self.app)
        if who is not None:
            client.headers["Authorization"] = f"Bearer {self.tokens[who]}"
        return client


def build_world(tmp_path: Path, **settings: Any) -> World:
    """Workspace A: owner, editor, viewer and the shop map; workspace B: an outsider's map."""
    data_dir = tmp_path / "data"
    app = create_app(Settings(data_dir=data_dir, secret_key="test-secret-" * 4, **settings))
    store = app.state.store
    users = {
        name: store.create_user(f"{name}@example.com", name.title(), PASSWORD).id
        for name in ("owner", "editor", "viewer", "outsider")
    }
    workspace = store.create_workspace("Team A", users["owner"]).id
    store.set_role(workspace, users["editor"], "editor")
    store.set_role(workspace, users["viewer"], "viewer")
    other = store.create_workspace("Team B", users["outsider"]).id
    shop = load_map(DATA / "shop.yaml")
    map_id = store.create_map(workspace, shop, users["owner"]).id
    other_map = store.create_map(other, shop, users["outsider"]).id
    tokens = {name: store.create_token(uid, "tests", "write")[1] for name, uid in users.items()}
    return World(app, data_dir, workspace, other, map_id, other_map, users, tokens)


@contextmanager
def database(backend: str) -> Iterator[str | None]:
    """None (the app's own SQLite file), or a fresh PostgreSQL schema."""
    if backend == "sqlite":
        yield None
        return
    with postgres_schema() as url:
        yield url


def running_world(tmp_path: Path, backend: str = "sqlite") -> Iterator[World]:
    """The body of each web test module's ``world`` fixture."""
    with database(backend) as url:
        built = build_world(tmp_path, database_url=url)
        with TestClient(built.app):  # runs the lifespan, so the analysis pool shuts down
            yield built
        built.app.state.store.engine.dispose()


def wait_for_analysis(client: WebClient, map_id: int, analysis_id: int) -> dict[str, Any]:
    """Poll the status endpoint until the background job has finished (no wall-time limit
    beyond a generous number of polls)."""
    import time

    for _ in range(1200):
        data = client.get(f"/api/maps/{map_id}/analyses/{analysis_id}").json()
        if data["status"] in ("done", "failed"):
            return dict(data)
        time.sleep(0.05)
    raise AssertionError("analysis did not finish")
