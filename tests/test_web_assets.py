"""Assets are fingerprinted, cached for a year when the fingerprint matches, revalidated with
an ETag otherwise, compressed for browsers that accept gzip, and only the package's own."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from journeyscope.web.assets import STATIC

from .test_web_support import World, running_world


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    yield from running_world(tmp_path)


def test_pages_link_fingerprinted_assets_cached_for_a_year(world: World) -> None:
    client = world.client("editor")
    page = client.get("/maps").text
    links = re.findall(r'(?:href|src)="(/static/(app\.(?:css|js))\?v=([0-9a-f]{16}))"', page)
    assert {name for _, name, _ in links} == {"app.css", "app.js"}
    for url, name, version in links:
        response = client.get(url, headers={"Accept-Encoding": "gzip"})
        assert response.status_code == 200
        assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
        assert response.headers["etag"] == f'"{version}"'
        assert response.headers["content-encoding"] == "gzip"  # httpx decodes it for us
        assert response.content == (STATIC / name).read_bytes()
        assert response.headers["vary"] == "Accept-Encoding"


def test_without_the_fingerprint_the_browser_revalidates(world: World) -> None:
    client = world.client()
    first = client.get("/static/app.js", headers={"Accept-Encoding": "identity"})
    assert first.headers["cache-control"] == "no-cache"
    assert "content-encoding" not in first.headers
    again = client.get("/static/app.js", headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304 and again.content == b""
    old = client.get("/static/app.js?v=0000000000000000")  # a page cached before a release
    assert old.status_code == 200 and old.headers["cache-control"] == "no-cache"


def test_plotly_is_served_compressed_and_cached(world: World) -> None:
    client = world.client()
    plain = client.get("/assets/plotly.min.js", headers={"Accept-Encoding": "identity"})
    assert plain.headers["content-type"].startswith("text/javascript")
    assert len(plain.content) > 3_000_000
    url = f"/assets/plotly.min.js?v={plain.headers['etag'].strip(chr(34))}"
    with client.stream("GET", url, headers={"Accept-Encoding": "gzip"}) as packed:
        body = packed.read()
        sent = packed.num_bytes_downloaded
    assert packed.headers["cache-control"].endswith("immutable")
    assert body == plain.content
    assert sent < len(plain.content) / 2  # what travels is the compressed script


@pytest.mark.parametrize(
    "path",
    ["/static/../settings.py", "/static/%2e%2e/app.py", "/static/nothing.js", "/static/"],
)
def test_only_the_packages_static_files(world: World, path: str) -> None:
    response = world.client().get(path)
    assert response.status_code == 404
