"""Synthetic journey logs: the Markov generator and the Tour De Farce sample data.

Oracles: plain pandas over the written files, and the chain's own exact expectation.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from journeyscope.synth import SCHEMA, default_chain, generate_chunks, write_csv, write_parquet
from journeyscope.synth.tour_de_farce import BAD_ROWS, EVENTS, generate_tour_de_farce

LAUNCH = date(2026, 10, 1)
SUPPORT = ("support_call", "support_chat", "support_email")


def _table(**options: object) -> pa.Table:
    return pa.concat_tables(generate_chunks(**options))  # type: ignore[arg-type]


# --- the Markov generator ---------------------------------------------------------------------


def test_same_seed_same_log_other_seed_other_log() -> None:
    first = _table(customers=2_000, seed=5, chunk_customers=700)
    assert first.equals(_table(customers=2_000, seed=5, chunk_customers=700))
    assert not first.equals(_table(customers=2_000, seed=6, chunk_customers=700))


def test_customers_and_exact_event_counts() -> None:
    by_customers = _table(customers=1_234, seed=1, chunk_customers=500)
    assert pc.count_distinct(by_customers["customer_id"]).as_py() == 1_234
    by_events = _table(events=12_345, seed=1, chunk_customers=500)
    assert by_events.num_rows == 12_345


def test_mean_journey_length_matches_the_chain() -> None:
    chain = default_chain()
    frame = _table(customers=20_000, seed=2).to_pandas()
    mean = frame.groupby("customer_id").size().mean()
    assert 8 <= chain.expected_events() <= 12
    assert mean == pytest.approx(chain.expected_events(), rel=0.05)


def test_vocabulary_channels_segments_and_variants() -> None:
    chain = default_chain()
    frame = _table(customers=5_000, seed=3).to_pandas()
    assert set(frame["event"]) <= set(chain.events)
    assert len(set(frame["event"])) >= 30
    assert (frame.groupby("event")["channel"].nunique() == 1).all()
    assert (frame.groupby("customer_id")["segment"].nunique() == 1).all()
    assert set(frame["segment"]) == {"new", "returning", "loyal"}
    variants = frame.groupby("customer_id", sort=False)["event"].agg(tuple)
    assert variants.nunique() > 1_000


def test_times_are_ordered_per_customer_and_heavy_tailed() -> None:
    frame = _table(customers=5_000, seed=4).to_pandas()
    gaps = frame.groupby("customer_id", sort=False)["ts"].diff().dropna().dt.total_seconds()
    assert (gaps >= 0).all()
    assert gaps.quantile(0.99) > 100 * gaps.median()
    assert frame["ts"].is_monotonic_increasing  # an export in time order


def test_hourly_timestamps_tie_but_keep_the_journey_order() -> None:
    exact = _table(customers=3_000, seed=8).to_pandas()
    hourly = _table(customers=3_000, seed=8, truncate_to_hour=True).to_pandas()
    assert (hourly["ts"].dt.minute == 0).all() and (hourly["ts"].dt.second == 0).all()
    assert hourly.duplicated(["customer_id", "ts"]).sum() > 1_000

    def sequences(frame: pd.DataFrame) -> pd.Series:
        return frame.groupby("customer_id")["event"].agg(tuple)

    assert sequences(hourly).equals(sequences(exact))


def test_chunked_parquet_has_row_groups_schema_and_all_rows(tmp_path: Path) -> None:
    path = write_parquet(
        tmp_path / "log.parquet", events=20_000, seed=9, chunk_customers=600, row_group_size=1_500
    )
    meta = pq.ParquetFile(path)
    assert meta.schema_arrow.equals(SCHEMA)
    assert meta.metadata.num_rows == 20_000
    assert meta.metadata.num_row_groups > 10
    assert max(meta.metadata.row_group(i).num_rows for i in range(10)) <= 1_500
    expected = _table(events=20_000, seed=9, chunk_customers=600)
    assert pq.read_table(path).equals(expected)
    assert not list(tmp_path.glob(".*partial"))


def test_csv_holds_the_same_rows(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "log.csv", customers=300, seed=10, chunk_customers=100)
    frame = pd.read_csv(path, dtype={"customer_id": str})
    frame["ts"] = pd.to_datetime(frame["ts"], utc=True)
    expected = _table(customers=300, seed=10, chunk_customers=100).to_pandas()
    assert list(frame.columns) == SCHEMA.names
    pd.testing.assert_frame_equal(frame, expected, check_dtype=False)


def test_exactly_one_size_must_be_given() -> None:
    with pytest.raises(ValueError, match="exactly one"):
        next(generate_chunks())
    with pytest.raises(ValueError, match="exactly one"):
        next(generate_chunks(customers=5, events=5))


# --- Tour De Farce -----------------------------------------------------------------------------


def _read(paths: dict[str, Path]) -> tuple[pd.DataFrame, pd.DataFrame]:
    events = pd.read_csv(paths["events"], dtype=str, keep_default_na=False)
    customers = pd.read_csv(paths["customers"], dtype=str, keep_default_na=False)
    return events, customers


def _good(events: pd.DataFrame) -> pd.DataFrame:
    good = events[(events["customer_id"] != "") & (events["event"] != "")].copy()
    good["ts"] = pd.to_datetime(good["ts"], format="%Y-%m-%dT%H:%M:%SZ", utc=True, errors="coerce")
    return good.dropna(subset=["ts"])


@pytest.fixture(scope="module")
def current(tmp_path_factory: pytest.TempPathFactory) -> tuple[pd.DataFrame, pd.DataFrame]:
    return _read(generate_tour_de_farce(tmp_path_factory.mktemp("tdf")))


@pytest.fixture(scope="module")
def future(tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    paths = generate_tour_de_farce(
        tmp_path_factory.mktemp("tdf-future"), with_bad_rows=False, itinerary_email_from=LAUNCH
    )
    return _good(_read(paths)[0])


def test_tour_de_farce_is_deterministic(tmp_path: Path) -> None:
    first = generate_tour_de_farce(tmp_path / "a", seed=3, customers=300)
    again = generate_tour_de_farce(tmp_path / "b", seed=3, customers=300)
    other = generate_tour_de_farce(tmp_path / "c", seed=4, customers=300)
    for label in ("events", "customers"):
        assert first[label].read_bytes() == again[label].read_bytes()
        assert first[label].read_bytes() != other[label].read_bytes()


def test_tour_de_farce_customers_and_vocabulary(current: tuple[pd.DataFrame, ...]) -> None:
    events, customers = current
    good = _good(events)
    assert len(customers) == customers["customer_id"].nunique() == 3000
    assert set(customers["segment"]) == {"solo", "family", "group"}
    assert set(customers["device"]) == {"desktop", "mobile", "app"}
    assert set(good["customer_id"]) <= set(customers["customer_id"])
    assert set(good["event"]) == set(EVENTS) - {"itinerary_email_sent"}
    for event, channel in EVENTS.items():
        allowed = {"web", "app"} if event in ("login", "view_itinerary") else {channel}
        assert set(good.loc[good["event"] == event, "channel"]) <= allowed


def test_tour_de_farce_bad_rows(current: tuple[pd.DataFrame, ...]) -> None:
    events, _ = current
    when = pd.to_datetime(events["ts"], format="%Y-%m-%dT%H:%M:%SZ", errors="coerce")
    found = {
        "missing customer id": (events["customer_id"] == "").sum(),
        "missing timestamp": (events["ts"] == "").sum(),
        "unparseable timestamp": (when.isna() & (events["ts"] != "")).sum(),
        "missing event": (events["event"] == "").sum(),
    }
    assert found == BAD_ROWS
    assert len(events) - len(_good(events)) == sum(BAD_ROWS.values())


def test_pain_point_no_filters(current: tuple[pd.DataFrame, ...]) -> None:
    events, customers = current
    good = _good(events)
    searchers = customers[
        customers["customer_id"].isin(good.loc[good["event"] == "search_tours", "customer_id"])
    ]
    viewers = set(good.loc[good["event"] == "view_tour", "customer_id"])
    viewed = searchers.assign(viewed=searchers["customer_id"].isin(viewers))
    rate = viewed.groupby("device")["viewed"].mean()
    assert viewed["viewed"].mean() < 0.55  # many drop off before view_tour
    assert rate["mobile"] < rate["desktop"] - 0.1
    loops = good[good["event"].isin(["search_tours", "browse_tour_list"])]
    assert loops.groupby("customer_id").size().mean() > 3
    comments = good.loc[good["event"] == "survey_response", "comment"]
    assert comments.str.contains("filter").sum() >= 20


def _after_booking(good: pd.DataFrame) -> pd.DataFrame:
    booked = good[good["event"] == "booking_complete"].groupby("customer_id")["ts"].min()
    later = good[good["customer_id"].isin(booked.index)]
    return later[later["ts"] > later["customer_id"].map(booked)]


def test_pain_point_no_itinerary_email(current: tuple[pd.DataFrame, ...]) -> None:
    good = _good(current[0])
    bookers = good.loc[good["event"] == "booking_complete", "customer_id"].nunique()
    after = _after_booking(good)
    contacted = set(after.loc[after["event"].isin(SUPPORT), "customer_id"])
    assert len(contacted) / bookers > 0.3
    assert after.loc[after["event"] == "view_itinerary", "customer_id"].nunique() / bookers > 0.3
    survey = after[after["event"] == "survey_response"]
    scores = survey["score"].astype(int).groupby(survey["customer_id"].isin(contacted)).mean()
    assert scores[True] < scores[False] - 0.5
    assert set(survey["score"].astype(int)) <= {1, 2, 3, 4, 5}


def test_future_state_sends_itinerary_and_cuts_contacts(future: pd.DataFrame) -> None:
    launch = pd.Timestamp(LAUNCH, tz="UTC")
    sent = future[future["event"] == "itinerary_email_sent"]
    assert len(sent) > 50 and (sent["ts"] >= launch).all()
    booked = future[future["event"] == "booking_complete"].groupby("customer_id")["ts"].min()
    after = _after_booking(future)
    contacts = after[after["event"].isin(SUPPORT)].groupby("customer_id").size()
    per_booking = contacts.reindex(booked.index, fill_value=0).groupby(booked >= launch).mean()
    assert per_booking[True] < per_booking[False] / 2
    assert len(sent) == (booked >= launch).sum()
