"""Help-desk exports as contacts and as satisfaction answers: Freshdesk's ticket export and
Intercom's conversation report (CSV), with only ``format=NAME``; checked against hand-written
events, channels, scores and quarantine counts."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from journeyscope.events import ColumnMapping, SurveyMapping, load_events, load_surveys

DATA = Path(__file__).parent / "data" / "exports"


def _contacts(log) -> list[tuple]:  # type: ignore[no-untyped-def]
    rows = log.con.sql(
        "SELECT customer_id, ts, event, channel FROM events ORDER BY customer_id, ts, seq"
    ).fetchall()
    return [(c, t.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S"), e, ch) for c, t, e, ch in rows]


def _answers(surveys) -> list[tuple]:  # type: ignore[no-untyped-def]
    sql = (
        "SELECT customer_id, strftime(ts, '%Y-%m-%d %H:%M:%S'), kind, score, touchpoint, comment "
        "FROM answers ORDER BY seq"
    )
    return surveys.con.sql(sql).fetchall()


def test_freshdesk_tickets_as_contacts() -> None:
    # the help desk's zone is Warsaw (UTC+2 in June): 09:15:22 there is 07:15:22 UTC
    mapping = ColumnMapping(format="freshdesk", timezone="Europe/Warsaw")
    log = load_events(DATA / "freshdesk.csv", mapping)
    report = log.report
    assert (report.read, report.loaded, report.quarantined) == (6, 4, 2)
    assert report.reasons == {"missing customer id": 1, "unparseable timestamp": 1}
    # the contact's external id, else e-mail, else contact id; the channel from Source
    assert _contacts(log) == [
        ("43000003", "2024-06-04 12:05:10", "ticket_created", "chat"),
        ("bob@example.com", "2024-06-03 08:00:00", "ticket_created", "phone"),
        ("u-42", "2024-06-03 07:15:22", "ticket_created", "email"),
        ("u-42", "2024-06-04 14:45:00", "ticket_created", "portal"),
    ]
    row = log.con.sql(
        'SELECT "Ticket ID", "Status", "Group", "Survey results" FROM events ORDER BY seq LIMIT 1'
    ).fetchall()
    assert row == [("1001", "Closed", "Billing", "Extremely happy")]
    bad = {r["location"]: r["reason"] for r in log.quarantined().to_pylist()}
    assert bad == {"row 5": "unparseable timestamp", "row 6": "missing customer id"}


def test_freshdesk_survey_results_as_csat() -> None:
    mapping = SurveyMapping(format="freshdesk", timezone="Europe/Warsaw")
    surveys = load_surveys(DATA / "freshdesk.csv", mapping)
    assert (surveys.report.read, surveys.report.loaded) == (4, 4)
    assert surveys.report.notes == ["2 tickets have no survey result"]
    # seven labels evenly from 5 to 1: Extremely happy 5, Neutral 3, Unhappy 2 1/3,
    # Very unhappy 1 2/3; at the time the ticket was resolved
    assert _answers(surveys) == [
        ("u-42", "2024-06-03 10:30:00", "csat", 5.0, "email", None),
        ("bob@example.com", "2024-06-04 06:00:00", "csat", 2.3333, "phone", None),
        ("u-42", "2024-06-04 15:00:00", "csat", 3.0, "portal", None),
        ("dee@example.com", "2024-06-05 07:00:00", "csat", 1.6667, "portal", None),
    ]


def test_intercom_conversations_as_contacts() -> None:
    log = load_events(f"intercom:{DATA / 'intercom.csv'}")
    report = log.report
    assert (report.read, report.loaded, report.reasons) == (4, 3, {"missing timestamp": 1})
    assert report.notes == []
    # the header says Europe/London (UTC+1 in June)
    assert _contacts(log) == [
        ("lead@example.com", "2024-06-05 12:40:00", "conversation_started", "email"),
        ("u-42", "2024-06-05 10:00:00", "conversation_started", "chat"),
        ("u-50", "2024-06-06 07:00:00", "conversation_started", "chat"),
    ]


def test_intercom_conversation_ratings_from_the_report() -> None:
    surveys = load_surveys(DATA / "intercom.csv", SurveyMapping(format="intercom"))
    assert (surveys.report.read, surveys.report.loaded) == (2, 2)
    assert surveys.report.notes == ["2 conversations have no rating"]
    assert _answers(surveys) == [
        ("u-42", "2024-06-05 11:13:20", "csat", 4.0, "chat", "Sorted in minutes"),
        ("lead@example.com", "2024-06-05 12:53:20", "csat", 1.0, "email", None),
    ]
