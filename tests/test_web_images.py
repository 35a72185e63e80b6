"""Pictures on maps through the web app: uploads checked and re-encoded, hostile files refused
in plain words, pictures served to members only; persona fields, stage colours and custom
lanes edited through the same edit operations as every other field."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from typer.testing import CliRunner

from journeyscope.cli.main import app as cli
from journeyscope.formats import dump_map

from .test_web_support import World, running_world

SVG = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    yield from running_world(tmp_path)


def photo(size: tuple[int, int] = (1600, 1200), fmt: str = "JPEG") -> bytes:
    """A real photo-like picture carrying EXIF (a camera and a place) as phones write it."""
    picture = Image.new("RGB", size, "#92400e")
    exif = Image.Exif()
    exif[0x010F] = "Secret Camera Co"  # Make
    exif[0x8825] = {1: "N", 2: (51.0, 30.0, 0.0)}  # GPS
    out = io.BytesIO()
    picture.save(out, fmt, exif=exif.tobytes())
    return out.getvalue()


def bomb() -> bytes:
    """A tiny PNG that says it holds 144 million pixels."""
    out = io.BytesIO()
    Image.new("1", (12_000, 12_000)).save(out, "PNG")
    return out.getvalue()


def _upload(client: Any, map_id: int, name: str, data: bytes, kind: str = "image/png") -> Any:
    return client.post(f"/api/maps/{map_id}/images", files={"file": (name, data, kind)})


def test_a_photo_is_re_encoded_small_and_without_metadata(world: World) -> None:
    api = world.api("editor")
    answer = _upload(api, world.map_id, "Ana Lima.jpg", photo(), "image/jpeg")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["path"].startswith("images/ana-lima-") and body["path"].endswith(".jpg")
    assert (body["width"], body["height"]) == (512, 384)
    page = world.client("viewer")
    served = page.get(f"/maps/{world.map_id}/{body['path']}")
    assert served.status_code == 200
    assert served.headers["content-type"] == "image/jpeg"
    assert served.headers["x-content-type-options"] == "nosniff"
    kept = Image.open(io.BytesIO(served.content))
    assert kept.size == (512, 384) and not kept.getexif()
    assert b"Secret Camera" not in served.content
    # only members see it: signed out -> sign in; another workspace's member -> not found
    signed_out = world.client().get(f"/maps/{world.map_id}/{body['path']}", follow_redirects=False)
    assert signed_out.status_code in (302, 303, 307) and not signed_out.content.startswith(b"\xff")
    assert world.client("outsider").get(f"/maps/{world.map_id}/{body['path']}").status_code == 404
    assert _upload(world.api("viewer"), world.map_id, "a.png", photo()).status_code == 403


@pytest.mark.parametrize(
    ("name", "data", "words"),
    [
        ("face.svg", SVG, "SVG pictures are not accepted"),
        ("face.png", SVG, "SVG pictures are not accepted"),
        ("bomb.png", bomb(), "more pixels than a map needs"),
        ("notes.png", b"just some text, renamed to .png\n" * 20, "not a PNG, JPEG or WebP"),
        ("cut.png", photo(fmt="PNG")[:300], "damaged"),
    ],
)
def test_hostile_uploads_are_refused_in_plain_words(
    world: World, name: str, data: bytes, words: str
) -> None:
    answer = _upload(world.api("editor"), world.map_id, name, data)
    assert answer.status_code == 400
    assert words in answer.json()["detail"]
    assert world.app.state.store.images(world.workspace, {f"images/{name}"}) == {}


def _edit(world: World, op: str, **fields: str) -> Any:
    api = world.api("editor")
    version = world.app.state.store.get_map(world.map_id).current_version
    return api.post(
        f"/api/maps/{world.map_id}/edit",
        json={"base_version": version, "op": op, "fields": fields},
    )


def test_persona_builder_stage_colour_and_custom_lanes(world: World) -> None:
    path = _upload(world.api("editor"), world.map_id, "ana.jpg", photo()).json()["path"]
    facts = {"age": "35-44", "occupation": "Nurse", "location": "Porto"}
    fields = "Devices: Phone\nIncome: mid"
    saved = _edit(
        world, "persona", persona="ana", name="Ana", photo=path, attributes=fields, **facts
    )
    assert saved.status_code == 200, saved.text
    assert _edit(world, "set", kind="stage", id="buy", field="color", value="#0F766E").is_success
    wrong = _edit(world, "set", kind="stage", id="buy", field="color", value="teal")
    assert wrong.status_code == 400 and "#rrggbb" in wrong.json()["detail"]
    assert _edit(world, "add_lane", name="What they said", kind="list", after="thoughts").is_success
    assert _edit(world, "add_lane", name="Screens", kind="image").is_success
    said = _edit(world, "set", kind="step", id="pay", field="lane:what-they-said",
                 value="Too slow\nWhere is my code?")  # fmt: skip
    assert said.is_success, said.text
    assert _edit(
        world, "add_image", step="pay", image=path, lane="screens", caption="Pay"
    ).is_success
    journey = world.app.state.store.load_journey(world.map_id)[0]
    ana = journey.persona("ana")
    assert (ana.photo, ana.age, ana.occupation, ana.location) == (path, "35-44", "Nurse", "Porto")
    assert ana.attributes == {"Devices": "Phone", "Income": "mid"}
    assert journey.stages[1].color == "#0f766e"
    assert journey.step("pay").lanes == {"what-they-said": ["Too slow", "Where is my code?"]}
    assert journey.step("pay").images[0].lane == "screens"
    html = world.client("viewer").get(f"/maps/{world.map_id}").text
    assert 'class="js-photo" src="data:image/jpeg;base64,' in html  # the photo on the map
    assert "Where is my code?" in html and "background: #0f766e; color: #ffffff" in html
    assert _edit(world, "delete_lane", lane="screens").is_success
    assert world.app.state.store.load_journey(world.map_id)[0].step("pay").images == []


def _map_with_pictures(world: World) -> str:
    """Ana's photo, and the same picture in a "Screens" lane at the payment step: its path."""
    path = _upload(world.api("editor"), world.map_id, "ana.jpg", photo()).json()["path"]
    assert _edit(world, "persona", persona="ana", name="Ana", photo=path).is_success
    assert _edit(world, "add_lane", name="Screens", kind="image").is_success
    assert _edit(
        world, "add_image", step="pay", image=path, lane="screens", caption="The pay screen"
    ).is_success
    return str(path)


def test_downloads_and_the_read_only_link_carry_the_workspace_s_pictures(world: World) -> None:
    """Pictures live in the workspace, not in the map file: every export and the read-only
    link (whose reader cannot fetch /maps/.../images) carry them inside the file."""
    _map_with_pictures(world)
    viewer = world.client("viewer")
    for fmt in ("svg", "story.html"):
        got = viewer.get(f"/maps/{world.map_id}/download", params={"format": fmt})
        assert got.status_code == 200, got.text
        assert "data:image/jpeg;base64," in got.text, fmt
    page = world.client("editor").form(f"/maps/{world.map_id}/share-links", {"label": "Board"})
    secret = re.search(r"/s/(jss_[^\"]+)\"", page.text)
    assert secret, page.text
    from .test_web_support import WebClient

    shared = WebClient(world.app).get(f"/s/{secret.group(1)}")
    assert shared.status_code == 200 and "data:image/jpeg;base64," in shared.text
    assert f"/maps/{world.map_id}/images/" not in shared.text


def test_the_map_file_with_its_pictures_round_trips_as_a_zip(world: World, tmp_path: Path) -> None:
    path = _map_with_pictures(world)
    got = world.client("viewer").get(f"/maps/{world.map_id}/export.zip")
    assert got.status_code == 200 and got.headers["content-type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(got.content)) as archive:
        names = sorted(archive.namelist())
        journey_file = next(n for n in names if n.endswith(".yaml"))
        assert names == sorted([journey_file, path])
        archive.extractall(tmp_path / "unzipped")
    # the command line renders the unzipped folder with the photo in it
    result = CliRunner().invoke(cli, ["render", str(tmp_path / "unzipped" / journey_file),
                                      "-o", str(tmp_path / "map.svg")])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "data:image/jpeg;base64," in (tmp_path / "map.svg").read_text()

    # imported as a new map, its pictures are kept in the workspace and drawn
    editor = world.client("editor")
    made = editor.post("/maps/import", data={"csrf_token": editor.csrf()},
                       files={"file": ("bundle.zip", got.content)})  # fmt: skip
    assert made.status_code == 200, made.text
    new_id = int(str(made.url).rstrip("/").rsplit("/", 1)[1])
    journey = world.app.state.store.load_journey(new_id)[0]
    photo_path = journey.persona("ana").photo
    assert photo_path and photo_path.startswith("images/ana")
    assert journey.step("pay").images[0].caption == "The pay screen"
    assert world.app.state.store.images(world.workspace, {photo_path})
    assert "data:image/jpeg;base64," in editor.get(f"/maps/{new_id}").text


def _zip(entries: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return out.getvalue()


def test_hostile_zips_are_refused_in_plain_words(world: World) -> None:
    text = world.app.state.store.map_text(world.map_id)[0]
    journey = world.app.state.store.load_journey(world.map_id)[0]
    journey.personas[0].photo = "images/face.png"
    yaml_with_svg = dump_map(journey)
    cases = [
        (b"not a zip at all", "not a ZIP archive"),
        (_zip({"../map.yaml": text.encode()}), "outside its folder"),
        (_zip({"a.yaml": text.encode(), "b.yaml": text.encode()}), "2 map files"),
        (_zip({"images/x.png": photo()}), "no map file"),
        (_zip({"map.yaml": text.encode(), "images/bomb.png": b"\0" * 6_000_000}),
         "larger than 5,000,000 bytes"),
        (_zip({"map.yaml": b"\0" * 3_000_000}), "larger than"),
        (_zip({"map.yaml": yaml_with_svg.encode(), "images/face.png": SVG}),
         "the picture images/face.png in the ZIP: SVG pictures are not accepted"),
    ]  # fmt: skip
    editor = world.client("editor")
    before = len(world.app.state.store.list_maps(world.workspace))
    for data, words in cases:
        answer = editor.post("/maps/import", data={"csrf_token": editor.csrf()},
                             files={"file": ("bundle.zip", data)})  # fmt: skip
        assert answer.status_code == 400 and words in answer.text, (words, answer.text[-1500:])
    assert len(world.app.state.store.list_maps(world.workspace)) == before


def test_a_picture_s_caption_is_edited_and_removing_it_can_be_undone(world: World) -> None:
    path = _map_with_pictures(world)
    other = _upload(world.api("editor"), world.map_id, "b.png", photo(fmt="PNG")).json()["path"]
    assert _edit(world, "add_image", step="pay", image=other).is_success
    assert _edit(
        world, "caption_image", step="pay", image=path, caption=" Pay, at last "
    ).is_success
    step = world.app.state.store.load_journey(world.map_id)[0].step("pay")
    assert [(i.image, i.caption) for i in step.images] == [(path, "Pay, at last"), (other, None)]
    assert _edit(world, "delete_image", step="pay", image=path).is_success
    assert [
        i.image for i in world.app.state.store.load_journey(world.map_id)[0].step("pay").images
    ] == [other]
    # the editor's undo puts it back where it was
    back = _edit(world, "add_image", step="pay", image=path, caption="Pay, at last", index="0")
    assert back.is_success
    step = world.app.state.store.load_journey(world.map_id)[0].step("pay")
    assert [i.image for i in step.images] == [path, other]
    missing = _edit(world, "caption_image", step="pay", image="images/none.png", caption="x")
    assert missing.status_code == 400 and "no picture" in missing.json()["detail"]
