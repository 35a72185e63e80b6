"""Hostile inputs: each case a real file on disk, refused with a located or plain message, or
its bad rows quarantined with a reason; nothing crashes, hangs or reads what it should not."""

from __future__ import annotations

import csv
import gzip
import io
import json
import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from journeyscope.events import load_events, xes
from journeyscope.events.xes import read_xes
from journeyscope.formats import MapFileError, atomic_write_text, load_map, parse_map
from journeyscope.formats.export import to_csv
from journeyscope.model import JourneyMap

from .conftest import tiny_map_data

NS = ' xmlns="http://www.xes-standard.org/"'
HEADER = "customer_id,ts,event,channel"


def _map_yaml(**overrides: object) -> str:
    return yaml.safe_dump(tiny_map_data(**overrides), sort_keys=False)


def _refusal(path: Path) -> str:
    with pytest.raises(MapFileError) as raised:
        load_map(path)
    return str(raised.value)


# --- map files: aliases, nesting --------------------------------------------------------------

ALIAS_BOMB = "\n".join(
    [
        'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
        *(
            f"{name}: &{name} [{', '.join([f'*{prev}'] * 9)}]"
            for prev, name in zip("abcdefgh", "bcdefghi", strict=True)
        ),
    ]
)


def test_yaml_alias_bomb_is_refused_at_once_with_its_location(tmp_path: Path) -> None:
    path = tmp_path / "bomb.yaml"
    path.write_text(ALIAS_BOMB + "\n", encoding="utf-8")
    assert path.stat().st_size < 600
    started = time.perf_counter()
    message = _refusal(path)
    assert time.perf_counter() - started < 1
    assert message == (
        f"{path}:1:4: (syntax): YAML anchors (&name) are not allowed in map files; "
        "write each value out"
    )


def test_yaml_alias_in_a_real_map_is_refused_where_it_is(tmp_path: Path) -> None:
    text = _map_yaml().replace("title: Tiny journey", "title: &t Tiny journey\ndescription: *t")
    path = tmp_path / "map.yaml"
    path.write_text(text, encoding="utf-8")
    assert "anchors (&name) are not allowed" in _refusal(path)
    path.write_text(_map_yaml() + "description: *t\n", encoding="utf-8")  # alias alone
    line = len(_map_yaml().splitlines()) + 1
    assert f"{path}:{line}:14: (syntax): YAML aliases (*name) are not allowed" in _refusal(path)


@pytest.mark.parametrize(
    ("suffix", "text"),
    [
        (".yaml", "id: m\ntitle: t\nstages: " + "[" * 50_000 + "]" * 50_000 + "\n"),
        (
            ".yaml",
            "id: m\ntitle: t\nstages:\n" + "".join("  " * i + "- \n" for i in range(1, 5000)),
        ),
        (".json", '{"id": "m", "stages": ' + "[" * 100_000 + "]" * 100_000 + "}"),
        (".json", '{"id": "m", "stages": ' + "[" * 500 + "]" * 500 + "}"),
    ],
    ids=["yaml-flow-50k", "yaml-block-5k", "json-100k", "json-500"],
)
def test_deep_nesting_is_refused_with_a_location(tmp_path: Path, suffix: str, text: str) -> None:
    path = tmp_path / f"deep{suffix}"
    path.write_text(text, encoding="utf-8")
    message = _refusal(path)
    assert "nested deeper than 100 levels" in message
    assert message.startswith(f"{path}:")
    line, column = message.removeprefix(f"{path}:").split(":")[:2]
    assert int(line) >= 1 and int(column) > 1
    # the web editor and the API parse the same text through parse_map
    with pytest.raises(MapFileError, match="nested deeper than 100 levels"):
        parse_map(text, "upload" + suffix, suffix.lstrip("."))


def test_a_normal_map_still_loads_from_yaml_and_json(tmp_path: Path) -> None:
    (tmp_path / "m.yaml").write_text(_map_yaml(), encoding="utf-8")
    (tmp_path / "m.json").write_text(json.dumps(tiny_map_data()), encoding="utf-8")
    assert load_map(tmp_path / "m.yaml") == load_map(tmp_path / "m.json")


# --- evidence condition values -------------------------------------------------------------------


def _map_with_condition(condition: str) -> str:
    """A map whose first step has an evidence rule with ``condition`` as YAML text."""
    data = tiny_map_data()
    data["stages"][0]["steps"][0]["evidence"] = [{"event": "search", "where": ["CONDITION"]}]
    return _map_yaml_of(data).replace("CONDITION", condition)


def _map_yaml_of(data: dict[str, object]) -> str:
    return yaml.safe_dump(data, sort_keys=False)


def _located_condition_problem(tmp_path: Path, text: str, suffix: str = ".yaml") -> str:
    path = tmp_path / f"map{suffix}"
    path.write_text(text, encoding="utf-8")
    return _refusal(path)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (".inf", "must be a finite number (got inf)"),
        ("-.inf", "must be a finite number (got -inf)"),
        (".nan", "must be a finite number (got nan)"),
        ("{a: 1}", "not a mapping"),
        ("[1, [2]]", "not a list inside a list"),
    ],
)
def test_condition_values_must_be_finite_scalars_or_flat_lists(
    tmp_path: Path, value: str, message: str
) -> None:
    op = "in" if value.startswith("[") else ">"
    text = _map_with_condition(f"{{attribute: amount, op: '{op}', value: {value}}}")
    problem = _located_condition_problem(tmp_path, text)
    line = text.splitlines().index(next(x for x in text.splitlines() if "amount" in x)) + 1
    assert problem.startswith(f"{tmp_path / 'map.yaml'}:{line}:")
    assert message in problem


@pytest.mark.parametrize("number", ["NaN", "Infinity", "-Infinity"])
def test_json_nan_and_infinity_condition_values_are_refused(tmp_path: Path, number: str) -> None:
    data = tiny_map_data()
    data["stages"][0]["steps"][0]["evidence"] = [
        {"event": "search", "where": [{"attribute": "amount", "op": ">", "value": 0}]}
    ]
    text = json.dumps(data, indent=1).replace('"value": 0', f'"value": {number}')
    assert "must be a finite number" in _located_condition_problem(tmp_path, text, ".json")


def test_a_list_where_one_value_is_compared_is_refused(tmp_path: Path) -> None:
    text = _map_with_condition("{attribute: amount, op: '==', value: [1, 2]}")
    assert "compares with one value, not a list" in _located_condition_problem(tmp_path, text)


def test_a_word_like_nan_in_a_condition_string_stays_a_word(tmp_path: Path) -> None:
    path = tmp_path / "map.yaml"
    path.write_text(_map_with_condition("'name == Nan'"), encoding="utf-8")
    condition = load_map(path).stages[0].steps[0].evidence[0].where[0]
    assert condition.value == "Nan"


# --- event files ------------------------------------------------------------------------------


def _rows(log: object) -> list[tuple[object, ...]]:
    return log.con.execute(  # type: ignore[attr-defined, no-any-return]
        "SELECT customer_id, seq, event FROM events ORDER BY seq"
    ).fetchall()


def test_csv_with_mixed_crlf_and_lf_line_ends_loads_every_row(tmp_path: Path) -> None:
    path = tmp_path / "mixed.csv"
    path.write_bytes(
        f"{HEADER}\r\na,2024-05-01 10:00:00,visit,web\n"
        "b,2024-05-01 11:00:00,buy,web\r\nc,2024-05-01 12:00:00,visit,app\n".encode()
    )
    log = load_events(path)
    assert (log.report.loaded, log.report.quarantined) == (3, 0)
    assert _rows(log) == [("a", 1, "visit"), ("b", 2, "buy"), ("c", 3, "visit")]
    assert log.con.execute("SELECT channel FROM events ORDER BY seq").fetchall() == [
        ("web",),
        ("web",),
        ("app",),
    ]


def test_csv_field_over_2_mb_quarantines_its_row(tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    big = "x" * (3 * 1024 * 1024)
    path.write_text(
        f"{HEADER}\na,2024-05-01 10:00:00,visit,web\nb,2024-05-01 11:00:00,{big},web\n"
        "c,2024-05-01 12:00:00,visit,app\n",
        encoding="utf-8",
    )
    out = tmp_path / "quarantine.csv"
    log = load_events(path, quarantine=out)
    assert (log.report.read, log.report.loaded, log.report.quarantined) == (3, 2, 1)
    assert log.report.reasons == {"malformed CSV row (line size over maximum)": 1}
    assert [r[0] for r in _rows(log)] == ["a", "c"]
    (bad,) = log.quarantined().to_pylist()
    assert bad["location"] == "line 3" and len(bad["record"]) < 20_000  # kept short
    assert out.stat().st_size < 50_000


def test_csv_with_a_non_utf8_byte_quarantines_that_row(tmp_path: Path) -> None:
    path = tmp_path / "latin.csv"
    path.write_bytes(
        f"{HEADER}\na,2024-05-01 10:00:00,visit,web\n".encode()
        + b"b\xe9,2024-05-01 11:00:00,buy,web\r\n"  # and a CR LF among LF line ends
        + b"c,2024-05-01 12:00:00,visit,app\n"
    )
    log = load_events(path)
    assert (log.report.loaded, log.report.quarantined) == (2, 1)
    assert log.report.reasons == {"malformed CSV row (invalid encoding)": 1}
    assert [r[0] for r in _rows(log)] == ["a", "c"]


def test_csv_whose_header_is_not_utf8_is_refused_plainly(tmp_path: Path) -> None:
    """DuckDB's sniffer skips an unreadable header and takes the first row as the header."""
    path = tmp_path / "header.csv"
    path.write_bytes(b"customer_id,ts,event,chann\xe9l\na,2024-05-01 10:00:00,visit,web\n")
    with pytest.raises(ValueError, match=r"header line is not UTF-8 text \(byte 27\)"):
        load_events(path)


def test_json_lines_key_with_a_double_quote_loads(tmp_path: Path) -> None:
    path = tmp_path / "quote.jsonl"
    rows = [
        {"customer_id": "a", "ts": "2024-05-01 10:00:00", "event": "visit", 'say "hi"': "1"},
        {"customer_id": "b", "ts": "2024-05-01 11:00:00", "event": "buy", "a/b~c": "2"},
    ]
    path.write_text("\n".join(json.dumps(row) for row in rows) + "\n", encoding="utf-8")
    log = load_events(path)
    assert log.report.loaded == 2
    assert log.con.execute('SELECT "say ""hi""", "a/b~c" FROM events ORDER BY seq').fetchall() == [
        ("1", None),
        (None, "2"),
    ]


def test_json_lines_with_a_non_utf8_byte_quarantines_that_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_bytes(
        b'{"customer_id": "a", "ts": "2024-05-01 10:00:00", "event": "visit"}\n'
        b'{"customer_id": "b\xff", "ts": "2024-05-01 10:00:00", "event": "visit"}\n'
        b"{not json\n"
        b'{"customer_id": "c", "ts": "2024-05-01 10:00:00", "event": "buy"}\n'
    )
    log = load_events(path)
    assert (log.report.read, log.report.loaded, log.report.quarantined) == (4, 2, 2)
    assert log.report.reasons == {"not UTF-8 text": 1, "not a JSON object": 1}
    assert _rows(log) == [("a", 1, "visit"), ("c", 4, "buy")]  # line numbers kept
    bad = {r["location"]: r for r in log.quarantined().to_pylist()}
    assert bad["line 2"]["reason"] == "not UTF-8 text" and "\\xff" in bad["line 2"]["record"]


# --- XES: entities and zip bombs ---------------------------------------------------------------

BILLION_LAUGHS = (
    '<?xml version="1.0"?>\n<!DOCTYPE log [\n<!ENTITY lol0 "lol">\n'
    + "".join(f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">\n' for i in range(1, 10))
    + f']>\n<log{NS}><trace><string key="concept:name" value="&lol9;"/>'
    '<event><string key="concept:name" value="a"/></event></trace></log>\n'
)


def test_xes_billion_laughs_is_refused_not_expanded(tmp_path: Path) -> None:
    path = tmp_path / "laughs.xes"
    path.write_text(BILLION_LAUGHS, encoding="utf-8")
    started = time.perf_counter()
    with pytest.raises(ValueError, match=r"document type declaration \(<!DOCTYPE"):
        list(read_xes(path))
    with pytest.raises(ValueError, match="document type declaration"):
        load_events(path)
    assert time.perf_counter() - started < 2


@pytest.mark.parametrize("target", ["secret", "/etc/passwd"])
def test_xes_external_entity_is_never_read(tmp_path: Path, target: str) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-VALUE", encoding="utf-8")
    uri = secret.as_uri() if target == "secret" else "file:///etc/passwd"
    path = tmp_path / "xxe.xes.gz"
    with gzip.open(path, "wt", encoding="utf-8") as packed:
        packed.write(
            f'<?xml version="1.0"?>\n<!DOCTYPE log [<!ENTITY xxe SYSTEM "{uri}">]>\n'
            f'<log{NS}><trace><string key="concept:name" value="c"/><event>'
            '<string key="concept:name" value="&xxe;"/></event></trace></log>\n'
        )
    with pytest.raises(ValueError, match="document type declaration") as raised:
        list(read_xes(path))
    assert "TOP-SECRET" not in str(raised.value) and "root:" not in str(raised.value)


def test_xes_gzip_bomb_is_refused_plainly(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(xes, "MIN_GZIP_LIMIT", 1024 * 1024)  # the ratio limit, not the floor
    path = tmp_path / "bomb.xes.gz"
    with gzip.open(path, "wb", compresslevel=9) as packed:
        packed.write(f"<log{NS}><trace>".encode())
        for _ in range(64):
            packed.write(b" " * (1024 * 1024))
        packed.write(b"</trace></log>")
    limit = max(1024 * 1024, xes.MAX_GZIP_RATIO * path.stat().st_size)
    assert limit < 64 * 1024 * 1024
    with pytest.raises(ValueError, match="likely zip bomb") as raised:
        list(read_xes(path))
    assert f"more than {limit:,} bytes" in str(raised.value)
    small = tmp_path / "fine.xes.gz"  # a log within the limit still reads
    with gzip.open(small, "wt", encoding="utf-8") as packed:
        packed.write(
            f'<log{NS}><trace><string key="concept:name" value="c"/><event>'
            '<string key="concept:name" value="a"/></event></trace></log>'
        )
    assert sum(batch.num_rows for batch in read_xes(small)) == 1


# --- CSV export --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ['  =HYPERLINK("http://x")', " +1+2", "\u00a0-3+4", "\n@SUM(A1)", " \t=cmd", "=1"]
)
def test_csv_export_neutralises_formulas_after_white_space(name: str) -> None:
    data = tiny_map_data()
    data["stages"][0]["steps"][0]["name"] = name
    exported = to_csv(JourneyMap.model_validate(data))
    rows = list(csv.DictReader(io.StringIO(exported)))
    assert rows[0]["step"] == "'" + name
    assert rows[0]["emotion"] == "-1"  # numbers stay numbers


# --- atomic writes ----------------------------------------------------------------------------

CHILD = """
import os, sys, time
from pathlib import Path
from journeyscope.formats import files

def slow_fsync(fd):
    print("writing", flush=True)
    time.sleep(60)

os.fsync = slow_fsync
files.atomic_write_text(Path(sys.argv[1]), "new text")
"""


def _temp_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.name.endswith(".tmp"))


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM])
def test_a_writer_killed_mid_write_leaves_no_temp_file_behind(
    tmp_path: Path, sig: signal.Signals
) -> None:
    target = tmp_path / "map.yaml"
    target.write_text("old text", encoding="utf-8")
    with subprocess.Popen(
        [sys.executable, "-c", CHILD, str(target)], stdout=subprocess.PIPE, text=True
    ) as child:
        try:
            assert child.stdout is not None and child.stdout.readline() == "writing\n"
            (temp,) = _temp_files(tmp_path)
            assert stat.S_IMODE(temp.stat().st_mode) == 0o600  # private until renamed
            assert f".{child.pid}." in temp.name
            child.send_signal(sig)
            child.wait(timeout=30)
        finally:
            child.kill()
    assert target.read_text(encoding="utf-8") == "old text" and _temp_files(tmp_path) == [temp]
    old = time.time() - 3600
    os.utime(temp, (old, old))  # a minute on, the next write clears the dead writer's file
    atomic_write_text(target, "next text")
    assert target.read_text(encoding="utf-8") == "next text"
    assert _temp_files(tmp_path) == []


def test_a_live_writers_temp_file_is_left_alone(tmp_path: Path) -> None:
    target = tmp_path / "map.yaml"
    mine = tmp_path / f".map.yaml.{os.getpid()}.abcdefgh.tmp"  # this process: alive
    mine.write_text("in progress", encoding="utf-8")
    old = time.time() - 3600
    os.utime(mine, (old, old))
    atomic_write_text(target, "text")
    assert mine.exists()


def test_an_interrupted_write_leaves_nothing(tmp_path: Path, monkeypatch) -> None:
    target = tmp_path / "map.yaml"
    target.write_text("old text", encoding="utf-8")

    def interrupted(fd: int) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "fsync", interrupted)
    with pytest.raises(KeyboardInterrupt):
        atomic_write_text(target, "new text")
    assert [p.name for p in tmp_path.iterdir()] == ["map.yaml"]
    assert target.read_text(encoding="utf-8") == "old text"


def test_replacing_a_private_file_keeps_it_private(tmp_path: Path) -> None:
    target = tmp_path / "settings.json"
    target.write_text("{}", encoding="utf-8")
    target.chmod(0o600)
    atomic_write_text(target, '{"secret": 1}')
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    fresh = tmp_path / "fresh.txt"
    atomic_write_text(fresh, "x")
    umask = os.umask(0o022)
    os.umask(umask)
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o666 & ~umask
