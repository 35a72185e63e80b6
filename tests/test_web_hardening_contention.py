"""No 5xx under contention: 50 concurrent conflicting saves against a real uvicorn server on
loopback lose no update and get no response >= 500, on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from .conftest import BACKENDS, serving
from .test_web_support import TestClient, World, build_world, database

SAVES = 50
ATTEMPTS = 4


@pytest.fixture(params=BACKENDS)
def served(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[World, str]]:
    with database(request.param) as url:
        world = build_world(tmp_path, database_url=url)
        with serving(world.app, proxy_headers=False) as base:
            yield world, base
        world.app.state.store.engine.dispose()


def _saver(base_url: str, token: str, map_id: int, n: int) -> list[tuple[int, Any]]:
    """Read the map, save it with a message of its own; on 409 retry on the version the
    answer names. Returns (status, version saved or None) of every attempt."""
    results: list[tuple[int, Any]] = []
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=base_url, headers=headers, timeout=120) as client:
        current = client.get(f"/api/maps/{map_id}")
        if current.status_code != 200:
            return [(current.status_code, None)]
        body = current.json()
        base = body["current_version"]
        for attempt in range(ATTEMPTS):
            message = f"save {n}.{attempt}"
            saved = client.put(
                f"/api/maps/{map_id}",
                json={"base_version": base, "map": body["map"], "message": message},
            )
            if saved.status_code == 200:
                results.append((200, (saved.json()["current_version"], message)))
                break
            results.append((saved.status_code, None))
            if saved.status_code != 409:
                break
            base = saved.json()["current_version"]
    return results


def test_concurrent_conflicting_saves_lose_nothing_and_never_fail(
    served: tuple[World, str],
) -> None:
    world, base_url = served
    token = world.tokens["editor"]
    with ThreadPoolExecutor(max_workers=SAVES) as pool:
        runs = list(pool.map(lambda n: _saver(base_url, token, world.map_id, n), range(SAVES)))
    statuses = Counter(status for run in runs for status, _ in run)
    print(f"\n{SAVES} concurrent savers, answers to their saves: {dict(sorted(statuses.items()))}")
    assert not [s for s in statuses if s >= 500], statuses
    assert set(statuses) <= {200, 409}, statuses
    saved = [value for run in runs for status, value in run if status == 200 and value]
    assert saved, "no save went through"
    history = {v.number: v.message for v in world.app.state.store.versions(world.map_id)}
    for number, message in saved:  # every answered save is in the history, as answered
        assert history.get(number) == message, (number, message)
    assert len(history) == 1 + len(saved)  # and nothing else is
    assert len({number for number, _ in saved}) == len(saved)


def test_no_free_connection_is_503_with_retry_after(tmp_path: Path, backend: str) -> None:
    """Every pooled connection busy past ``database_timeout``: 503 and Retry-After, not 500."""
    with database(backend) as url:
        world = build_world(tmp_path, database_url=url, database_timeout=0.3, request_threads=1)
        engine = world.app.state.store.engine
        with TestClient(world.app):
            held = [engine.connect() for _ in range(engine.pool.size() + 2)]
            try:
                response = world.api("editor").get(f"/api/maps/{world.map_id}")
                page = world.client().get("/login")
            finally:
                for connection in held:
                    connection.close()
            assert response.status_code == 503 and response.headers["Retry-After"] == "1"
            assert page.status_code in (200, 503)
            assert world.api("editor").get(f"/api/maps/{world.map_id}").status_code == 200
        engine.dispose()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)
