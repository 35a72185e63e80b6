"""Survey and ticket exports as they come: Qualtrics (three header rows, a column per
question, its time zone), SurveyMonkey (two header rows, answers as labels), Zendesk (text
satisfaction ratings), Intercom (conversation ratings), checked against hand-written answers
and quarantine counts."""

from __future__ import annotations

from pathlib import Path

import pytest

from journeyscope.events import SurveyMapping, load_surveys

DATA = Path(__file__).parent / "data" / "exports"


def _answers(surveys) -> list[tuple]:  # type: ignore[no-untyped-def]
    sql = (
        "SELECT customer_id, strftime(ts, '%Y-%m-%d %H:%M:%S'), kind, score, touchpoint, comment "
        "FROM answers ORDER BY seq"
    )
    return surveys.con.sql(sql).fetchall()


def test_qualtrics_export() -> None:
    surveys = load_surveys(DATA / "qualtrics.csv", SurveyMapping(format="qualtrics", comment="Q4"))
    report = surveys.report
    assert report.notes == ["questions read: Q1 (nps), Q2 (csat), Q3 (ces)"]
    assert (report.read, report.loaded, report.quarantined) == (8, 7, 1)
    assert report.reasons == {"score outside the scale": 1}
    # RecordedDate is in America/Denver (UTC-6 in June), as the third header row says
    assert _answers(surveys) == [
        ("u-42", "2024-06-10 14:03:41", "nps", 9.0, "delivery", "Great service, slow van"),
        ("u-42", "2024-06-10 14:03:41", "csat", 4.0, "delivery", "Great service, slow van"),
        ("u-42", "2024-06-10 14:03:41", "ces", 6.0, "delivery", "Great service, slow van"),
        ("bob@example.com", "2024-06-11 00:22:06", "nps", 2.0, "delivery", None),
        ("bob@example.com", "2024-06-11 00:22:06", "csat", 1.0, "delivery", None),  # a label
        ("cust-3", "2024-06-11 15:01:31", "csat", 5.0, "delivery", None),
        ("cust-3", "2024-06-11 15:01:31", "ces", 2.0, "delivery", None),
    ]
    [bad] = surveys.quarantined().to_pylist()
    assert bad["location"] == "line 7, Q1" and '"score":"11"' in bad["record"]


def test_surveymonkey_export() -> None:
    mapping = SurveyMapping(
        format="surveymonkey", about="touchpoint:chat", timezone="Europe/Warsaw"
    )
    surveys = load_surveys(DATA / "surveymonkey.csv", mapping)
    assert (surveys.report.read, surveys.report.loaded) == (3, 3)
    assert _answers(surveys) == [
        ("ada@example.com", "2024-06-12 07:12:44", "csat", 5.0, "chat", None),
        ("ada@example.com", "2024-06-12 07:12:44", "nps", 10.0, "chat", None),
        ("carl@example.com", "2024-06-12 11:05:30", "csat", 2.0, "chat", None),
    ]


def test_zendesk_satisfaction_ratings() -> None:
    surveys = load_surveys(DATA / "zendesk.jsonl", SurveyMapping(format="zendesk"))
    # 5 tickets: 2 rated, 1 offered, 1 not offered, 1 line cut off (not JSON)
    assert (surveys.report.read, surveys.report.loaded, surveys.report.quarantined) == (3, 2, 1)
    assert surveys.report.reasons == {"not a JSON object": 1}
    [bad] = surveys.quarantined().to_pylist()
    assert bad["location"] == "line 5" and "Cut off by the expo" in bad["record"]
    assert surveys.report.notes == ["1 tickets were offered a rating and gave none"]
    assert _answers(surveys) == [
        ("20978392", "2024-06-12 11:00:00", "csat", 5.0, "email", "Quick answer"),
        ("20978400", "2024-06-13 08:00:00", "csat", 1.0, "chat", "Took three days"),
    ]


def test_intercom_conversation_ratings() -> None:
    surveys = load_surveys(DATA / "intercom.jsonl", SurveyMapping(format="intercom"))
    assert (surveys.report.read, surveys.report.loaded) == (2, 2)
    assert surveys.report.notes == ["1 conversations have no rating"]
    assert _answers(surveys) == [
        ("u-42", "2024-06-05 11:13:20", "csat", 4.0, "chat", "Sorted in minutes"),
        ("65f1a2b3c4d5e6f7a8b9c0d2", "2024-06-05 12:53:20", "csat", 1.0, "email", None),
    ]


def test_questions_named_by_hand_and_wrong_options(tmp_path: Path) -> None:
    mapping = SurveyMapping.parse_pairs(["format=qualtrics", "questions=Q3:csat"])
    surveys = load_surveys(DATA / "qualtrics.csv", mapping)
    assert "Q3 (csat)" in surveys.report.notes[0]
    with pytest.raises(ValueError, match="no survey format 'typeform'"):
        load_surveys(DATA / "qualtrics.csv", SurveyMapping(format="typeform"))
    with pytest.raises(ValueError, match="write about as touchpoint:ID"):
        load_surveys(DATA / "surveymonkey.csv", SurveyMapping(format="surveymonkey", about="x"))
    plain = tmp_path / "plain.csv"
    plain.write_text("StartDate,EndDate,RecordedDate,Q1\nx,y,z,Colour\n{},{},{},{}\n")
    with pytest.raises(ValueError, match="no NPS, CSAT or CES question found"):
        load_surveys(plain, SurveyMapping(format="qualtrics"))
