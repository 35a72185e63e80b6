"""Synthetic journey logs of any size from a Markov chain over touchpoints.

A customer starts at an entry touchpoint (ad, newsletter, search engine, app, store...), moves
from touchpoint to touchpoint with per-segment transition weights, and stops at an absorbing end
state. Times between events are heavy tailed: most follow within a session (seconds to minutes),
some come back hours or weeks later (a Lomax/Pareto tail). Generation is vectorised per chunk
of customers and written chunk by chunk, so 100M events never sit in memory at once.

>>> chain = default_chain()
>>> len(chain.events), chain.segments
(33, ('new', 'returning', 'loyal'))
>>> 8 < chain.expected_events() < 12
True
>>> table = next(generate_chunks(customers=50, seed=1))
>>> table.column_names
['customer_id', 'ts', 'event', 'channel', 'segment']
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from ._chain import (
    CHANNELS,
    END_WEIGHTS,
    SEGMENT_SHARES,
    SEGMENT_TILTS,
    START_WEIGHTS,
    TRANSITIONS,
)

#: Schema of every generated table (the canonical event columns plus the ``segment`` attribute).
SCHEMA = pa.schema(
    [
        ("customer_id", pa.string()),
        ("ts", pa.timestamp("us", tz="UTC")),
        ("event", pa.string()),
        ("channel", pa.string()),
        ("segment", pa.string()),
    ]
)

_MAX_EVENTS = 400  # a hard stop for a wandering customer; the chain ends far earlier on average


@dataclass(frozen=True)
class MarkovChain:
    """Touchpoints, their channels, and per-segment start and transition probabilities.

    ``transitions[g]`` has one row per event and one column per event plus a last column for the
    end state; rows sum to one. ``start[g]`` is the entry distribution of segment ``g``.
    """

    events: tuple[str, ...]
    channels: tuple[str, ...]
    segments: tuple[str, ...]
    segment_shares: np.ndarray
    start: np.ndarray
    transitions: np.ndarray

    def expected_events(self) -> float:
        """Mean events per customer, exactly, from the chain's fundamental matrix."""
        per_segment = []
        for g in range(len(self.segments)):
            transient = self.transitions[g][:, :-1]
            visits = np.linalg.solve(np.eye(len(self.events)) - transient.T, self.start[g])
            per_segment.append(visits.sum())
        return float(np.dot(self.segment_shares, per_segment))


def default_chain(noise: float = 0.02) -> MarkovChain:
    """The built-in chain: 33 touchpoints of a web/app/store retailer with three segments.

    ``noise`` spreads that share of each row's weight evenly over all touchpoints, so rare
    detours happen and the variant distribution gets a long tail.
    """
    events = tuple(CHANNELS)
    segments = tuple(SEGMENT_SHARES)
    shares = np.array([SEGMENT_SHARES[s] for s in segments])
    start = np.stack([_start_row(events, SEGMENT_TILTS[s]) for s in segments])
    transitions = np.stack([_transition_matrix(events, SEGMENT_TILTS[s], noise) for s in segments])
    channels = tuple(CHANNELS[e] for e in events)
    return MarkovChain(events, channels, segments, shares, start, transitions)


def _start_row(events: tuple[str, ...], tilt: Mapping[str, float]) -> np.ndarray:
    row = np.array([START_WEIGHTS.get(e, 0.0) * tilt.get(e, 1.0) for e in events])
    return row / row.sum()


def _transition_matrix(
    events: tuple[str, ...], tilt: Mapping[str, float], noise: float
) -> np.ndarray:
    index = {e: i for i, e in enumerate(events)}
    matrix = np.zeros((len(events), len(events) + 1))
    for source, targets in TRANSITIONS.items():
        row = matrix[index[source]]
        for target, weight in targets.items():
            row[index[target]] = weight * tilt.get(target, 1.0)
        row[-1] = END_WEIGHTS[source] * tilt.get("END", 1.0)
        row[:-1] += noise * row.sum() / len(events)
    return matrix / matrix.sum(axis=1, keepdims=True)


@dataclass(frozen=True)
class TimeModel:
    """Heavy-tailed gaps between a customer's events, and the calendar the journeys start in.

    With probability ``session_share`` the next event follows in the same session after a
    log-normal gap (median ``session_median_s``); otherwise after a Lomax gap with shape
    ``return_shape`` and scale ``return_scale_s`` (capped at ``max_gap_days``).
    """

    start: datetime = datetime(2025, 1, 1, tzinfo=UTC)
    days: int = 365
    session_share: float = 0.78
    session_median_s: float = 40.0
    session_sigma: float = 1.1
    return_shape: float = 1.3
    return_scale_s: float = 3 * 3600.0
    max_gap_days: float = 90.0

    def gaps(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """``n`` gaps in seconds."""
        in_session = rng.random(n) < self.session_share
        session = rng.lognormal(np.log(self.session_median_s), self.session_sigma, n)
        later = np.minimum(rng.pareto(self.return_shape, n) * self.return_scale_s, self._cap())
        return np.where(in_session, session, later + self.session_median_s)

    def _cap(self) -> float:
        return self.max_gap_days * 86400.0


def generate_chunks(
    customers: int | None = None,
    *,
    events: int | None = None,
    seed: int = 0,
    chunk_customers: int = 100_000,
    truncate_to_hour: bool = False,
    chain: MarkovChain | None = None,
    time_model: TimeModel | None = None,
) -> Iterator[pa.Table]:
    """Yield journey tables chunk by chunk (each sorted by time, customers interleaved).

    Give either ``customers`` (that many journeys) or ``events`` (exactly that many rows; the
    last journey may be cut short). ``truncate_to_hour`` floors timestamps to the hour, which
    makes many tied timestamps (the file order then is the true order). Same arguments, same
    tables.
    """
    if (customers is None) == (events is None):
        raise ValueError("give exactly one of customers= or events=")
    chain = chain or default_chain()
    time_model = time_model or TimeModel()
    first_customer, rows_left, chunk_no = 0, events, 0
    while rows_left is None or rows_left > 0:
        n = chunk_customers
        if customers is not None:
            n = min(n, customers - first_customer)
        if n <= 0:
            return
        rng = np.random.default_rng([seed, chunk_no])  # chunk k's stream depends on (seed, k) only
        table = _chunk(rng, chain, time_model, first_customer, n, rows_left, truncate_to_hour)
        first_customer, chunk_no = first_customer + n, chunk_no + 1
        rows_left = None if rows_left is None else rows_left - table.num_rows
        yield table


def _chunk(
    rng: np.random.Generator,
    chain: MarkovChain,
    time_model: TimeModel,
    first_customer: int,
    n: int,
    limit: int | None,
    truncate_to_hour: bool,
) -> pa.Table:
    segment = rng.choice(len(chain.segments), size=n, p=chain.segment_shares)
    customer, state = _walk(rng, chain, segment)
    if limit is not None:
        customer, state = customer[:limit], state[:limit]
    ts = _timestamps(rng, time_model, customer, n, truncate_to_hour)
    order = np.argsort(ts, kind="stable")  # stable: tied times keep the journey's own order
    customer, state, ts = customer[order], state[order], ts[order]
    ids = pa.array([f"C{first_customer + i:010d}" for i in range(n)], pa.string())
    columns = [
        ids.take(pa.array(customer)),
        pa.array(ts, pa.timestamp("us", tz="UTC")),
        pa.array(chain.events, pa.string()).take(pa.array(state)),
        pa.array(chain.channels, pa.string()).take(pa.array(state)),
        pa.array(chain.segments, pa.string()).take(pa.array(segment[customer])),
    ]
    return pa.Table.from_arrays(columns, schema=SCHEMA)


def _walk(
    rng: np.random.Generator, chain: MarkovChain, segment: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Run every customer's chain to its end; rows come back customer by customer, in order."""
    n_events = len(chain.events)
    start_cum = np.cumsum(chain.start, axis=1)[segment]
    active = np.arange(len(segment))
    state = _draw(rng, start_cum)
    row_cum = np.cumsum(chain.transitions, axis=2).reshape(-1, n_events + 1)
    customers, states = [active], [state]
    for _ in range(_MAX_EVENTS - 1):
        nxt = _draw(rng, row_cum[segment[active] * n_events + state])
        going_on = nxt < n_events
        active, state = active[going_on], nxt[going_on]
        if active.size == 0:
            break
        customers.append(active)
        states.append(state)
    customer, event = np.concatenate(customers), np.concatenate(states)
    order = np.argsort(customer, kind="stable")  # steps were appended in time order
    return customer[order], event[order]


def _draw(rng: np.random.Generator, cumulative: np.ndarray) -> np.ndarray:
    """One categorical draw per row of cumulative probabilities (inverse CDF)."""
    u = rng.random(len(cumulative)) * cumulative[:, -1]
    return (cumulative <= u[:, None]).sum(axis=1).astype(np.int32)


def _timestamps(
    rng: np.random.Generator, model: TimeModel, customer: np.ndarray, n: int, hourly: bool
) -> np.ndarray:
    """Microsecond UTC epoch times, non-decreasing within each customer's journey."""
    first = np.ones(len(customer), dtype=bool)
    first[1:] = customer[1:] != customer[:-1]
    gaps = np.where(first, 0.0, model.gaps(rng, len(customer)))
    elapsed = np.cumsum(gaps)
    elapsed -= np.maximum.accumulate(np.where(first, elapsed, 0.0))
    origin = model.start.timestamp() + rng.random(n) * model.days * 86400.0
    seconds = np.floor(origin[customer] + elapsed).astype(np.int64)
    if hourly:
        seconds -= seconds % 3600
    return seconds * 1_000_000


def write_parquet(
    path: str | os.PathLike[str],
    customers: int | None = None,
    *,
    events: int | None = None,
    row_group_size: int = 1 << 20,
    compression: str = "zstd",
    on_chunk: Callable[[int], None] | None = None,
    **options: object,
) -> Path:
    """Write a generated log to one Parquet file, chunk by chunk; returns the path.

    Rows are written in row groups of at most ``row_group_size``; memory stays bounded by one
    chunk whatever the size. ``on_chunk`` is called with the rows written so far after each
    chunk; ``options`` go to :func:`generate_chunks`. The file appears only when complete
    (written under a temporary name, then renamed).
    """
    target = Path(path)
    partial = target.with_name(f".{target.name}.partial")
    target.parent.mkdir(parents=True, exist_ok=True)
    written = 0
    with pq.ParquetWriter(partial, SCHEMA, compression=compression) as writer:
        for table in generate_chunks(customers, events=events, **options):  # type: ignore[arg-type]
            writer.write_table(table, row_group_size=row_group_size)
            written += table.num_rows
            if on_chunk is not None:
                on_chunk(written)
    partial.replace(target)
    return target


def write_csv(
    path: str | os.PathLike[str],
    customers: int | None = None,
    *,
    events: int | None = None,
    **options: object,
) -> Path:
    """Write a generated log to one CSV file (ISO 8601 UTC times), chunk by chunk."""
    target = Path(path)
    partial = target.with_name(f".{target.name}.partial")
    target.parent.mkdir(parents=True, exist_ok=True)
    with pa_csv.CSVWriter(partial, SCHEMA) as writer:
        for table in generate_chunks(customers, events=events, **options):  # type: ignore[arg-type]
            writer.write_table(table)
    partial.replace(target)
    return target
