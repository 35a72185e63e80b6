"""`journeyscope serve` as users run it: a separate process on loopback, its sign-in limit not
fooled by a forged X-Forwarded-For (uvicorn must not rewrite the client address itself)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from .conftest import free_port

PASSWORD = "long-enough-1"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    cli = [sys.executable, "-m", "journeyscope.cli.main"]
    made = subprocess.run(
        [*cli, "init-admin", "--email", "boss@example.com", "--password", PASSWORD,
         "--workspace", "CX", "--data-dir", str(tmp_path)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    port = free_port()
    process = subprocess.Popen(
        [*cli, "serve", "--port", str(port), "--data-dir", str(tmp_path)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env={**os.environ},
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                httpx.get(f"{url}/login", timeout=1)
                break
            except httpx.TransportError:
                assert process.poll() is None, process.stderr.read() if process.stderr else ""
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)
        if process.stderr is not None:
            process.stderr.close()


def test_a_forged_forwarded_for_does_not_reset_the_sign_in_limit(server: str) -> None:
    """Each wrong password claims to come from another address; the server counts them all
    against the real one and answers 429 once the limit is reached."""
    statuses = []
    with httpx.Client(base_url=server, timeout=10) as client:
        for attempt in range(8):
            page = client.get("/login").text
            token = re.search(r'name="csrf_token" value="([^"]+)"', page)
            assert token, "no CSRF token on the sign-in page"
            answer = client.post(
                "/login",
                data={"email": "boss@example.com", "password": "wrong", "next": "/maps",
                      "csrf_token": token.group(1)},
                headers={"X-Forwarded-For": f"203.0.113.{attempt + 1}"},
            )  # fmt: skip
            statuses.append(answer.status_code)
    assert statuses[:5] == [401] * 5
    assert 429 in statuses[5:], statuses
