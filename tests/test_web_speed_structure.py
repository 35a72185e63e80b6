"""What keeps the workspace pages fast, as structure rather than timing: the statements a page
runs do not grow with the map's versions, and a version's text is parsed once, not per request
(``benchmarks/web_load.py`` measures the times)."""

from __future__ import annotations

import pickle
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

from journeyscope.formats import dump_map
from journeyscope.store.maps import PARSED, ParsedMaps
from journeyscope.web.pages_evidence import BOARDS, CHARTS
from journeyscope.web.pages_maps import LANES

from .conftest import BACKENDS
from .test_web_support import DATA, WebClient, World, running_world, wait_for_analysis

PAGES = ("/maps/{id}", "/maps/{id}/pain-points", "/maps/{id}/history", "/maps/{id}/edit")


@pytest.fixture(params=BACKENDS)
def world(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[World]:
    yield from running_world(tmp_path, request.param)


def _save_versions(world: World, count: int) -> None:
    """``count`` more versions of the world's map, each with another description."""
    store = world.app.state.store
    journey, number = store.load_journey(world.map_id)
    for n in range(count):
        edited = journey.model_copy(update={"description": f"Workshop notes, round {n}"})
        number = store.save_map(world.map_id, edited, number, world.users["owner"]).current_version


def _statements(world: World, client: WebClient, page: str) -> int:
    """How many SQL statements one request of ``page`` runs (after a first, warming request)."""
    return len(_sql(world, client, page))


def _sql(world: World, client: WebClient, page: str) -> list[str]:
    """The SQL statements one request of ``page`` runs (after a first, warming request)."""
    seen: list[str] = []

    def count(*args: Any) -> None:
        seen.append(args[2])

    assert client.get(page).status_code == 200
    engine = world.app.state.store.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        assert client.get(page).status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return seen


def test_statements_per_page_do_not_grow_with_the_versions(world: World) -> None:
    """No page runs a statement per version (nor loads every version): the count with 3
    versions and with 40 is the same, for the map, board, history and editor pages."""
    client = world.client("editor")
    pages = [page.format(id=world.map_id) for page in PAGES]
    _save_versions(world, 2)
    few = {page: _statements(world, client, page) for page in pages}
    _save_versions(world, 37)
    many = {page: _statements(world, client, page) for page in pages}
    assert all(count > 0 for count in few.values())
    assert many == few


def test_a_version_is_parsed_once_for_repeated_requests(world: World) -> None:
    """Asking for the map's pages again parses no map text: the parsed version is kept."""
    client = world.client("viewer")
    pages = [page.format(id=world.map_id) for page in PAGES if not page.endswith("/edit")]
    for page in pages:
        assert client.get(page).status_code == 200
    before = PARSED.parses
    for _ in range(3):
        for page in pages:
            assert client.get(page).status_code == 200
    assert PARSED.parses == before
    _save_versions(world, 1)  # a new version is a new text: parsed (once) when first shown
    for _ in range(3):
        assert client.get(pages[0]).status_code == 200
    assert PARSED.parses - before <= 2  # the new version; the save's diff may parse the old


def test_a_kept_map_is_never_shared_between_callers(world: World) -> None:
    """Each reader gets its own copy: changing one (as an edit does) changes no other."""
    store = world.app.state.store
    first, _ = store.load_journey(world.map_id)
    title = first.title
    first.title = "Changed in one request only"
    first.stages[0].name = "Renamed here only"
    again, _ = store.load_journey(world.map_id)
    assert again.title == title
    assert again.stages[0].name != "Renamed here only"


def test_access_is_checked_before_anything_kept_is_used(world: World) -> None:
    """The owner's visit keeps the parsed map; an outsider asking for the same map still gets
    no page and none of its content, and sees only their own workspace's map."""
    owner, outsider = world.client("owner"), world.client("outsider")
    shown = owner.get(f"/maps/{world.map_id}")
    assert shown.status_code == 200
    title = world.app.state.store.load_journey(world.map_id)[0].title
    for page in PAGES:
        refused = outsider.get(page.format(id=world.map_id))
        assert refused.status_code in (403, 404)
        assert f"/maps/{world.map_id}/" not in refused.text
    own = outsider.get(f"/maps/{world.other_map_id}")
    assert own.status_code == 200 and title in own.text  # the same text, its own workspace
    assert f"/maps/{world.map_id}/" not in own.text


def test_an_evaluations_pages_are_drawn_once_and_read_a_bounded_number_of_rows(
    world: World,
) -> None:
    """With an evaluation: its flows page draws its chart once for repeated visits, the map
    page its evidence lane once, the board reads its findings once; none of these pages
    reads the stored insights again; and they run as many statements with 3 versions as
    with 20."""
    api = world.api("editor")
    sent = api.post(f"/api/maps/{world.map_id}/analyses",
                    files={"file": ("events.csv", (DATA / "events.csv").read_bytes())})  # fmt: skip
    assert sent.status_code == 202, sent.text
    analysis = sent.json()["id"]
    assert wait_for_analysis(api, world.map_id, analysis)["status"] == "done"
    client = world.client("viewer")
    evaluation = f"/maps/{world.map_id}/analyses/{analysis}"
    pages = [evaluation, f"{evaluation}/flows", f"/maps/{world.map_id}",
             f"/maps/{world.map_id}/pain-points"]  # fmt: skip
    first = client.get(pages[1])
    assert first.status_code == 200 and "data-figure" in first.text
    made = CHARTS.made
    for _ in range(3):
        again = client.get(pages[1])
        assert again.status_code == 200 and again.text.count("data-figure") == first.text.count(
            "data-figure"
        )
    assert CHARTS.made == made
    for page in pages[2:]:  # the map page draws its lane, the board reads its findings
        assert client.get(page).status_code == 200
    lanes, boards = LANES.made, BOARDS.made
    for page in pages:  # the insights (the largest stored document) are not read again
        assert not [sql for sql in _sql(world, client, page) if "analyses.insights" in sql]
    assert LANES.made == lanes  # the map page's evidence lane is drawn once per version
    assert BOARDS.made == boards
    _save_versions(world, 2)
    few = {page: _statements(world, client, page) for page in pages}
    _save_versions(world, 17)
    assert {page: _statements(world, client, page) for page in pages} == few
    outsider = world.client("outsider")
    assert outsider.get(pages[1]).status_code in (403, 404)  # the kept chart is not a way in


def test_the_kept_maps_are_bounded_in_number_and_in_bytes(world: World) -> None:
    """The parsed versions kept stay within their count and their bytes, oldest out first."""
    journey, _ = world.app.state.store.load_journey(world.map_id)
    texts = [dump_map(journey.model_copy(update={"description": f"Round {n}"})) for n in range(6)]
    by_count = ParsedMaps(size=3)
    for text in texts:
        by_count.get(text, "map.yaml")
    assert by_count.parses == 6
    by_count.get(texts[-1], "map.yaml")
    assert by_count.parses == 6  # the newest is kept
    by_count.get(texts[0], "map.yaml")
    assert by_count.parses == 7  # the oldest was let go
    one = len(texts[0]) + len(pickle.dumps(journey, protocol=pickle.HIGHEST_PROTOCOL))
    by_bytes = ParsedMaps(size=64, max_bytes=int(2.5 * one))
    for text in texts:
        by_bytes.get(text, "map.yaml")
    for text in texts[-2:]:
        by_bytes.get(text, "map.yaml")
    assert by_bytes.parses == 6
    by_bytes.get(texts[-3], "map.yaml")
    assert by_bytes.parses == 7
