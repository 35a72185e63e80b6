"""Survey answers: loading with quarantine, binding to steps, the evidence emotion curve."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pandas as pd
import pytest
from scipy import stats

from journeyscope.analytics import JourneyOptions, prepare
from journeyscope.engine import connect
from journeyscope.events import SurveyMapping, load_events, load_surveys
from journeyscope.formats import load_map
from journeyscope.insights import (
    PainPointOptions,
    build_context,
    compute_emotion_curve,
    detect_pain_points,
)
from journeyscope.insights.evidence import normalised_score

SHOP = Path(__file__).parent / "data" / "insights" / "shop.yaml"

GOOD_AND_BAD = """customer_id,ts,score,kind,touchpoint,event,step,comment
a,2024-03-04T10:00:00Z,1,csat,,search,,Could not find anything
b,2024-03-04T10:05:00Z,2,CSAT,,,search,
c,2024-03-04T10:10:00Z,5,csat,,,search,Great search
d,2024-03-04T10:15:00Z,2,ces,,,cart,
e,2024-03-04T10:20:00Z,10,nps,home,,,Love it
,2024-03-04T10:25:00Z,3,csat,,,cart,
f,yesterday,3,csat,,,cart,
g,2024-03-04T10:30:00Z,,csat,,,cart,
h,2024-03-04T10:30:00Z,great,csat,,,cart,
i,2024-03-04T10:30:00Z,4,stars,,,cart,
j,2024-03-04T10:30:00Z,6,csat,,,cart,
k,2024-03-04T10:30:00Z,3,csat,,,,
"""


def write(tmp_path: Path, text: str = GOOD_AND_BAD) -> Path:
    path = tmp_path / "answers.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_bad_answers_are_quarantined_with_their_reason(tmp_path: Path) -> None:
    surveys = load_surveys(write(tmp_path), quarantine=tmp_path / "q.csv")
    report = surveys.report
    assert (report.read, report.loaded, report.quarantined) == (12, 5, 7)
    assert report.reasons == {
        "missing customer id": 1, "missing score": 1, "no touchpoint, event or step": 1,
        "score outside the scale": 1, "unknown survey kind": 1, "unparseable score": 1,
        "unparseable timestamp": 1,
    }  # fmt: skip
    quarantined = pd.read_csv(tmp_path / "q.csv")
    assert set(quarantined["source"]) == {"surveys"}
    record = json.loads(
        quarantined.loc[quarantined["reason"] == "unparseable score", "record"].iloc[0]
    )
    assert record["score"] == "great" and record["customer_id"] == "h"
    answers = surveys.answers().to_pylist()
    assert [a["kind"] for a in answers] == ["csat", "csat", "csat", "ces", "nps"]
    assert answers[3]["score"] == 2.0 and answers[3]["ts"].tzinfo is not None


@pytest.mark.parametrize("suffix", [".jsonl", ".parquet"])
def test_jsonl_and_parquet_with_a_column_mapping(tmp_path: Path, suffix: str) -> None:
    frame = pd.DataFrame({"who": ["a", "b"], "when": ["2024-03-04 10:00", "2024-03-04 11:00"],
                          "rating": ["4", "9"], "where": ["cart", "pay"]})  # fmt: skip
    path = tmp_path / f"answers{suffix}"
    if suffix == ".jsonl":
        lines = [json.dumps(r) for r in frame.to_dict("records")] + ["{broken"]
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    else:
        frame.to_parquet(path)
    mapping = SurveyMapping.parse_pairs(
        ["customer_id=who", "ts=when", "score=rating", "step=where", "default_kind=csat"]
    )
    surveys = load_surveys(path, mapping)
    assert surveys.report.loaded == 1  # 9 is outside CSAT's 1..5
    assert surveys.report.reasons.get("score outside the scale") == 1
    if suffix == ".jsonl":
        assert surveys.report.reasons["not a JSON object"] == 1
    with pytest.raises(ValueError, match="touchpoint, event or step"):
        load_surveys(path, SurveyMapping(customer_id="who", ts="when", score="rating",
                                         default_kind="csat"))  # fmt: skip


def test_scores_map_onto_the_emotion_scale() -> None:
    assert normalised_score(1, "csat") == 0 and normalised_score(5, "csat") == 1
    assert normalised_score(0, "nps") == 0 and normalised_score(7, "ces") == 0  # high effort
    assert normalised_score(1, "ces") == 1


def test_evidence_emotion_curve_by_hand(tmp_path: Path) -> None:
    events = pd.DataFrame({
        "customer_id": list("abcde"), "ts": [dt.datetime(2024, 3, 4, tzinfo=dt.UTC)] * 5,
        "event": ["search", "search", "search", "cart", "visit"],
    })  # fmt: skip
    log = load_events(events)
    surveys = load_surveys(write(tmp_path), into=log)
    journey = load_map(SHOP)
    prepared = prepare(connect(log), journey, JourneyOptions(), False)
    context = build_context(prepared, journey, answers=surveys.answers())
    curve = {p.step: p for p in compute_emotion_curve(context)}
    search = curve["search"]  # CSAT 1 (bound through its event), 2, 5 -> -3, -1.5, +3
    values = [-3.0, -1.5, 3.0]
    low, high = stats.t.interval(0.95, 2, loc=sum(values) / 3, scale=stats.sem(values))
    assert search.answers == 3 and search.mean == pytest.approx(-0.5)
    assert (search.low, search.high) == (pytest.approx(low), pytest.approx(high))
    assert search.assumed == -1 and search.gap == pytest.approx(0.5) and not search.contradicts
    assert curve["cart"].mean == pytest.approx(2.0)  # CES 2 of 1..7: (7 - 2) / 6 of the way up
    assert curve["visit"].mean == 3.0 and curve["visit"].kinds == {"nps": 1}  # via its touchpoint
    assert curve["visit"].low == curve["visit"].high == 3.0  # one answer: no interval
    assert curve["pay"].answers == 0 and curve["pay"].mean is None
    assert search.negative_comments == ["Could not find anything"]


def test_low_scores_become_pain_points(tmp_path: Path) -> None:
    rows = "customer_id,ts,score,kind,step,comment\n" + "".join(
        f"c{n},2024-03-04T10:00:00Z,{1 + n % 2},csat,cart,{'Too slow' if n % 3 else ''}\n"
        for n in range(12)
    )
    log = load_events(
        pd.DataFrame({"customer_id": ["c0"], "ts": ["2024-03-04"], "event": ["cart"]})
    )
    surveys = load_surveys(write(tmp_path, rows), into=log)
    journey = load_map(SHOP)
    prepared = prepare(connect(log), journey, JourneyOptions(), False)
    context = build_context(prepared, journey, answers=surveys.answers())
    unmerged = PainPointOptions(merge=False)  # each kind's own finding and numbers
    points = {p.key: p for p in detect_pain_points(context, compute_emotion_curve(context),
                                                   unmerged)}  # fmt: skip
    low = points["low_score:cart:all"]
    norms = [(1 + n % 2 - 1) / 4 for n in range(12)]
    assert low.severity == pytest.approx(1 - sum(norms) / 12)
    assert low.evidence["p_value"] == pytest.approx(
        stats.ttest_1samp(norms, 0.5, alternative="less").pvalue)  # fmt: skip
    assert low.owners == ["Head of web"]
    negative = points["negative_comment:cart:all"]
    assert negative.customers_affected == 8 and negative.evidence["examples"] == ["Too slow"]


def test_tour_de_farce_surveys_leave_the_events_alone(tmp_path: Path) -> None:
    from journeyscope.synth.tour_de_farce import generate_tour_de_farce

    plain = generate_tour_de_farce(tmp_path / "a", customers=200)
    with_surveys = generate_tour_de_farce(tmp_path / "b", customers=200, with_surveys=True)
    assert plain["events"].read_bytes() == with_surveys["events"].read_bytes()
    surveys = load_surveys(with_surveys["surveys"])
    assert surveys.report.quarantined == 2 and surveys.report.loaded > 20
    kinds = {a["kind"] for a in surveys.answers().to_pylist()}
    assert kinds == {"csat", "nps", "ces"}
