"""Several sources, one log: a sources file (YAML) with a mapping per source, identity
stitching across them, and a CSV glob whose files have different columns."""

from __future__ import annotations

from pathlib import Path

import pytest

from journeyscope.events import load_events

DATA = Path(__file__).parent / "data" / "exports"


def _rows(log) -> list[tuple]:  # type: ignore[no-untyped-def]
    sql = "SELECT customer_id, strftime(ts, '%Y-%m-%d %H:%M'), event, channel FROM events "
    return log.con.sql(sql + "ORDER BY customer_id, ts, seq").fetchall()


def test_web_events_and_tickets_become_one_log() -> None:
    log = load_events(DATA / "several" / "sources.yaml")
    report = log.report
    # Segment: 6 events (1 unreadable time); tickets: 3 rows (1 without a time)
    assert (report.read, report.loaded, report.quarantined) == (9, 7, 2)
    assert report.reasons == {"missing timestamp": 1, "unparseable timestamp": 1}
    assert [(s["name"], s["read"], s["loaded"]) for s in report.sources] == [
        ("segment.jsonl", 6, 5),
        ("tickets.csv", 3, 2),
    ]
    assert _rows(log) == [
        ("anon-2", "2024-06-03 11:00", "Signup Started", "web"),
        ("user-7", "2024-06-03 09:00", "Viewed Pricing Page", "web"),
        ("user-7", "2024-06-03 09:01", "Signup Started", "web"),
        ("user-7", "2024-06-03 09:02", "Signup Completed", "web"),
        ("user-7", "2024-06-04 06:00", "Report Viewed", "web"),
        # ada@example.com is user-7 by the identities table
        ("user-7", "2024-06-05 09:00", "ticket_opened", "support"),
        ("user-7", "2024-06-05 11:30", "ticket_solved", "support"),
    ]
    assert {"properties.plan", "ticket_id", "satisfaction_rating"} <= set(log.attributes)
    where = [row["location"] for row in log.quarantined().to_pylist()]
    assert where == ["segment.jsonl: row 7", "tickets.csv: row 2"]


def test_a_wrong_sources_file_is_named_plainly(tmp_path: Path) -> None:
    path = tmp_path / "sources.yaml"
    path.write_text("sources:\n  - path: a.csv\n    mapping: {ts: time}\n")
    with pytest.raises(ValueError, match=r"sources\.yaml: sources\.0\.mapping: Extra inputs"):
        load_events(path)
    path.write_text("sources: []\n")
    with pytest.raises(ValueError, match="sources: List should have at least 1 item"):
        load_events(path)


def test_a_csv_glob_whose_files_have_different_columns() -> None:
    log = load_events(str(DATA / "glob" / "*.csv"))
    assert (log.report.read, log.report.loaded, log.report.quarantined) == (4, 3, 1)
    assert _rows(log) == [
        ("a", "2024-06-01 10:00", "visit", None),
        ("a", "2024-06-02 09:00", "buy", None),
        ("c", "2024-06-02 09:30", "visit", None),
    ]
    assert log.attributes == ["campaign"]
    [bad] = log.quarantined().to_pylist()
    assert bad["location"] == "2024-06-01.csv line 3" and "too many columns" in bad["reason"]


def test_the_analysis_json_of_a_sources_file_follows_the_schema(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from .test_shapes import follows, run_json

    out = tmp_path / "a.json"
    args = ["analyze", "-e", str(DATA / "several" / "sources.yaml"), "--quarantine",
            str(tmp_path / "q.csv")]  # fmt: skip
    data = run_json(CliRunner(), args, out)
    follows(data, "analysis")
    assert [s["name"] for s in data["load"]["sources"]] == ["segment.jsonl", "tickets.csv"]
    assert data["load"]["linked_ids"] == 3  # anon-1, anon-9 (Segment), ada@example.com
