"""Vectorised rows: a table is built from blocks of rows (numpy arrays), one block per thing
that happens to a group of customers, then written as CSV or Parquet in one go.

Text columns are kept as codes into a vocabulary until the end, so 300,000 customers' millions of
rows cost a few integer arrays, not millions of Python strings.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

__all__ = ["DAY", "HOUR", "MINUTE", "WEEK", "Table", "groups", "write_columns"]

MINUTE, HOUR, DAY = 60.0, 3600.0, 86400.0
WEEK = 7 * DAY

Value = str | np.ndarray | float | int | None


def groups(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For ``counts[i]`` items owned by ``i``: each item's owner and its number within the owner.

    >>> owner, k = groups(np.array([2, 0, 3]))
    >>> owner.tolist(), k.tolist()
    ([0, 0, 2, 2, 2], [0, 1, 0, 1, 2])
    """
    counts = np.asarray(counts, dtype=np.int64)
    owner = np.repeat(np.arange(len(counts)), counts)
    starts = np.cumsum(counts) - counts
    return owner, np.arange(len(owner)) - np.repeat(starts, counts)


class Table:
    """Rows added in blocks: ``add(customers, seconds, column=value, ...)``. A text value is one
    string for the whole block or an array of strings (``""`` is an empty cell); a number column
    takes float arrays (NaN is empty)."""

    def __init__(
        self,
        ids: list[str],
        id_column: str,
        time_column: str,
        start: dt.datetime,
        rename: dict[str, str] | None = None,
    ):
        self.ids, self.id_column, self.time_column, self.start = ids, id_column, time_column, start
        self.rename = rename or {}
        self.who: list[np.ndarray] = []
        self.when: list[np.ndarray] = []
        self.text: dict[str, list[tuple[int, np.ndarray | str | None]]] = {}
        self.numbers: dict[str, list[tuple[int, np.ndarray]]] = {}
        self.order: list[str] = [id_column, time_column]
        self.rows = 0

    def add(self, customers: np.ndarray, seconds: np.ndarray | float, **columns: Value) -> None:
        n = len(customers)
        if n == 0:
            return
        self.who.append(np.asarray(customers, dtype=np.int64))
        self.when.append(np.broadcast_to(np.asarray(seconds, dtype=np.float64), (n,)))
        for name, value in columns.items():
            key = name.replace("__", " ")  # a column name with a space: "order__value"
            if key not in self.order:
                self.order.append(key)
            if isinstance(value, np.ndarray) and value.dtype.kind in "fiu":
                self.numbers.setdefault(key, []).append((self.rows, value.astype(np.float64)))
            else:
                self.text.setdefault(key, []).append((self.rows, value))  # type: ignore[arg-type]
        self.rows += n

    def _text(
        self, blocks: list[tuple[int, np.ndarray | str | None]], sizes: np.ndarray
    ) -> pa.Array:
        vocab: dict[str, int] = {}
        codes = np.full(self.rows, -1, dtype=np.int32)
        for start, value in blocks:
            n = int(sizes[start])
            if value is None:
                continue
            if isinstance(value, str):
                codes[start : start + n] = vocab.setdefault(value, len(vocab))
                continue
            uniques, inverse = np.unique(value.astype(str), return_inverse=True)
            # an empty string is an empty cell
            lookup = np.array(
                [vocab.setdefault(str(u), len(vocab)) if u != "" else -1 for u in uniques], np.int32
            )
            codes[start : start + n] = lookup[inverse]
        indices = pa.array(codes, mask=codes < 0)
        return pa.DictionaryArray.from_arrays(indices, pa.array(list(vocab), pa.string())).cast(
            pa.string()
        )

    def _numbers(self, blocks: list[tuple[int, np.ndarray]]) -> pa.Array:
        values = np.full(self.rows, np.nan)
        for start, value in blocks:
            values[start : start + len(value)] = value
        return pa.array(values, mask=np.isnan(values))

    def arrow(self, sequence: str | None = None) -> pa.Table:
        """The rows sorted by customer and time; ``sequence`` names a column numbering each
        customer's rows 1, 2, 3 ... (an export's own event counter)."""
        who, when = np.concatenate(self.who), np.concatenate(self.when)
        sizes = np.zeros(self.rows + 1, dtype=np.int64)
        offset = 0
        for block in self.who:
            sizes[offset] = len(block)
            offset += len(block)
        columns: dict[str, pa.Array] = {}
        ids = pa.DictionaryArray.from_arrays(pa.array(who.astype(np.int32)), pa.array(self.ids))
        columns[self.id_column] = ids.cast(pa.string())
        micros = (when * 1e6).astype(np.int64) + int(self.start.timestamp() * 1e6)
        columns[self.time_column] = pa.array(micros, pa.timestamp("us", tz="UTC"))
        for name, blocks in self.text.items():
            columns[name] = self._text(blocks, sizes)
        for name, nblocks in self.numbers.items():
            columns[name] = self._numbers(nblocks)
        table = pa.table({name: columns[name] for name in self.order})
        order = np.lexsort((when, who))
        table = table.take(pa.array(order))
        if sequence is not None:
            owners = who[order]
            first = np.r_[0, np.flatnonzero(np.diff(owners)) + 1]
            counts = np.diff(np.r_[first, len(owners)])
            table = table.append_column(sequence, pa.array(groups(counts)[1] + 1))
        return table.rename_columns([self.rename.get(c, c) for c in table.column_names])

    def write(self, path: Path, sequence: str | None = None) -> Path:
        """Write the rows as Parquet (``.parquet``) or CSV (any other suffix), atomically."""
        table = self.arrow(sequence)
        tmp = path.with_name(path.name + ".tmp")
        if path.suffix == ".parquet":
            pq.write_table(table, tmp)
        else:
            write_csv(table, tmp)
        tmp.replace(path)
        return path


def write_csv(table: pa.Table, path: Path) -> None:
    """CSV with times as ISO text (``2025-01-06T09:00:00Z``), as exports usually write them."""
    for i, column in enumerate(table.column_names):
        if pa.types.is_timestamp(table.schema.field(column).type):
            text = pc.strftime(table.column(column), format="%Y-%m-%dT%H:%M:%SZ")
            table = table.set_column(i, column, text)
    pacsv.write_csv(table, path)


def write_columns(path: Path, columns: dict[str, np.ndarray | list[str]]) -> Path:
    """One row per customer (a customers table) as CSV or Parquet, atomically."""
    table = pa.table({name: pa.array(values) for name, values in columns.items()})
    tmp = path.with_name(path.name + ".tmp")
    if path.suffix == ".parquet":
        pq.write_table(table, tmp)
    else:
        pacsv.write_csv(table, tmp)
    tmp.replace(path)
    return path
