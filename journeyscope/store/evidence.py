"""Evidence of a map: its data sources and their kept files (one per period), the analyses of
them (job status, the stored result)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import defer

from ._base import StoreBase, aware
from .schema import (
    ANALYSIS_STATES,
    CONNECTION_KINDS,
    CONNECTION_STATES,
    REFRESH_INTERVALS,
    SOURCE_ROLES,
    AnalysisRun,
    DataSource,
    MapRecord,
    SourceConnection,
    SourceFile,
    utcnow,
)
from .values import AnalysisInfo, Conflict, NotFound, StoreError


@dataclass(frozen=True)
class SourceFileInfo:
    """One kept file of a source: its period (1, 2, ...), name, where the data folder keeps
    it, and its load report once its columns were confirmed."""

    id: int
    source_id: int
    period: int
    filename: str
    stored: str
    size: int
    confirmed: bool
    report: dict[str, Any] | None
    created_at: dt.datetime


@dataclass(frozen=True)
class ConnectionInfo:
    """Where a source is read from on the server (see ``SourceConnection``): never a URL, only
    the name the server's settings give a database, or a path inside an allowed folder."""

    kind: str
    database: str | None
    path: str | None
    table_name: str | None
    query: str | None
    refresh: str
    state: str
    problem: str | None
    rows: int | None
    fingerprint: str | None
    read_at: dt.datetime | None


@dataclass(frozen=True)
class SourceInfo:
    """A named source of a map's evidence (events, customers or surveys) and its files."""

    id: int
    map_id: int
    name: str
    role: str
    mapping: dict[str, Any] | None
    created_at: dt.datetime
    files: list[SourceFileInfo] = field(default_factory=list)
    #: set when the source is read from a server-side connection instead of uploaded files
    connection: ConnectionInfo | None = None

    @property
    def ready(self) -> list[SourceFileInfo]:
        """The files whose columns are confirmed, oldest period first."""
        return [f for f in self.files if f.confirmed]


def _file_info(row: SourceFile) -> SourceFileInfo:
    return SourceFileInfo(
        row.id, row.source_id, row.period, row.filename, row.stored, row.size,
        row.confirmed, row.report, aware(row.created_at),
    )  # fmt: skip


def _connection_info(row: SourceConnection | None) -> ConnectionInfo | None:
    if row is None:
        return None
    return ConnectionInfo(
        row.kind, row.database, row.path, row.table_name, row.query, row.refresh, row.state,
        row.problem, row.rows, row.fingerprint, row.read_at and aware(row.read_at),
    )  # fmt: skip


#: the connection settings an owner may change (see :meth:`SourcesStore.update_connection`)
_CONNECTION_FIELDS = ("kind", "database", "path", "table_name", "query", "refresh")
_REFRESH_SECONDS = {"hourly": 3600, "daily": 24 * 3600}


def _check_connection(fields: dict[str, Any]) -> None:
    if fields.get("kind", CONNECTION_KINDS[0]) not in CONNECTION_KINDS:
        raise StoreError(f"unknown connection kind {fields['kind']!r}")
    if fields.get("refresh", REFRESH_INTERVALS[0]) not in REFRESH_INTERVALS:
        raise StoreError(f"unknown refresh interval {fields['refresh']!r}")


#: The stored documents of an analysis (JSON, decoded when read: the insights alone may be
#: hundreds of kilobytes), read only when asked for.
DOCUMENTS = ("result", "quarantine", "insights")


def _parts(full: bool | Collection[str]) -> Collection[str]:
    return DOCUMENTS if full is True else (full or ())


def _only(full: bool | Collection[str]) -> list[Any]:
    """Options that leave the documents not asked for unread."""
    parts = _parts(full)
    return [defer(getattr(AnalysisRun, name)) for name in DOCUMENTS if name not in parts]


def _info(row: AnalysisRun, full: bool | Collection[str] = False) -> AnalysisInfo:
    parts = _parts(full)
    return AnalysisInfo(
        row.id,
        row.map_id,
        row.map_version,
        row.filename,
        row.size,
        row.status,
        row.progress,
        row.error,
        aware(row.created_at),
        row.finished_at and aware(row.finished_at),
        row.result if "result" in parts else None,
        row.quarantine if "quarantine" in parts else None,
        row.insights if "insights" in parts else None,
    )


class EvidenceStore(StoreBase):
    def create_analysis(
        self, map_id: int, map_version: int, filename: str, size: int, user_id: int | None
    ) -> AnalysisInfo:
        with self.session() as session:
            if session.get(MapRecord, map_id) is None:
                raise NotFound(f"no map {map_id}")
            row = AnalysisRun(
                map_id=map_id,
                map_version=map_version,
                filename=filename[:300],
                size=size,
                created_by=user_id,
            )
            session.add(row)
            session.commit()
            return _info(row)

    def update_analysis(
        self,
        analysis_id: int,
        status: str,
        progress: float,
        *,
        error: str | None = None,
        result: dict[str, Any] | None = None,
        quarantine: dict[str, Any] | None = None,
        insights: dict[str, Any] | None = None,
    ) -> None:
        if status not in ANALYSIS_STATES:
            raise StoreError(f"unknown analysis status {status!r}")
        with self.session() as session:
            row = session.get(AnalysisRun, analysis_id)
            if row is None:
                raise NotFound(f"no analysis {analysis_id}")
            row.status, row.progress, row.error = status, progress, error
            if result is not None:
                row.result = result
            if quarantine is not None:
                row.quarantine = quarantine
            if insights is not None:
                row.insights = insights
            if status in ("done", "failed"):
                row.finished_at = utcnow()
            session.commit()

    def get_analysis(
        self, map_id: int, analysis_id: int, full: bool | Collection[str] = False
    ) -> AnalysisInfo:
        """The analysis; ``full``: with its stored documents (True: all; or those named, of
        ``result``, ``quarantine`` and ``insights``: the others are not read)."""
        with self.session() as session:
            row = session.get(AnalysisRun, analysis_id, options=_only(full))
            if row is None or row.map_id != map_id:
                raise NotFound(f"no analysis {analysis_id}")
            return _info(row, full)

    def analyses(self, map_id: int) -> list[AnalysisInfo]:
        with self.session() as session:
            rows = session.scalars(
                select(AnalysisRun)
                .where(AnalysisRun.map_id == map_id)
                .order_by(AnalysisRun.id.desc())
                .options(*_only(False))
            ).all()
            return [_info(row) for row in rows]

    def latest_analysis(
        self, map_id: int, full: bool | Collection[str] = True
    ) -> AnalysisInfo | None:
        """The newest finished analysis of the map, with its stored documents (``full`` as
        for :meth:`get_analysis`)."""
        with self.session() as session:
            row = session.scalar(
                select(AnalysisRun)
                .where(AnalysisRun.map_id == map_id, AnalysisRun.status == "done")
                .order_by(AnalysisRun.id.desc())
                .limit(1)
                .options(*_only(full))
            )
            return _info(row, full) if row else None

    def fail_unfinished(self, reason: str) -> int:
        """Mark analyses left queued or running by a stopped server as failed."""
        with self.session() as session:
            rows = session.scalars(
                select(AnalysisRun).where(AnalysisRun.status.in_(("queued", "running")))
            ).all()
            for row in rows:
                row.status, row.error, row.finished_at = "failed", reason, utcnow()
            session.commit()
            return len(rows)


class SourcesStore(StoreBase):
    """Data sources and their files; the files themselves live in the data folder."""

    def _source_info(self, session: Any, row: DataSource) -> SourceInfo:
        files = session.scalars(
            select(SourceFile).where(SourceFile.source_id == row.id).order_by(SourceFile.period)
        ).all()
        connection = session.scalar(
            select(SourceConnection).where(SourceConnection.source_id == row.id)
        )
        return SourceInfo(
            row.id, row.map_id, row.name, row.role, row.mapping, aware(row.created_at),
            [_file_info(f) for f in files], _connection_info(connection),
        )  # fmt: skip

    def create_source(
        self,
        map_id: int,
        name: str,
        role: str,
        user_id: int | None,
        connection: dict[str, Any] | None = None,
    ) -> SourceInfo:
        """A new source of the map; with ``connection`` (the fields of ``SourceConnection``
        an owner sets) one read from the server instead of uploaded files."""
        if connection is not None:
            _check_connection(connection)
        if role not in SOURCE_ROLES:
            raise StoreError(f"unknown source role {role!r}")
        with self.session() as session:
            if session.get(MapRecord, map_id) is None:
                raise NotFound(f"no map {map_id}")
            taken = session.scalar(
                select(DataSource.id).where(DataSource.map_id == map_id, DataSource.name == name)
            )
            if taken is not None:
                raise Conflict(f"the map already has a source named {name!r}")
            row = DataSource(map_id=map_id, name=name, role=role, created_by=user_id)
            session.add(row)
            if connection is not None:
                session.flush()
                fields = {k: connection.get(k) for k in _CONNECTION_FIELDS}
                session.add(SourceConnection(source_id=row.id, created_by=user_id, **fields))
            session.commit()
            return self._source_info(session, row)

    def delete_source(self, map_id: int, source_id: int) -> None:
        """The source, its files' rows and its connection (the files on disk are the
        caller's to delete first)."""
        with self.session() as session:
            row = session.get(DataSource, source_id)
            if row is None or row.map_id != map_id:
                raise NotFound(f"no source {source_id}")
            for child in (SourceFile, SourceConnection):  # SQLite may run without cascades
                for item in session.scalars(select(child).where(child.source_id == source_id)):
                    session.delete(item)
            session.flush()  # the children first: the database's cascade must find none
            session.delete(row)
            session.commit()

    def _connection_row(self, session: Any, source_id: int) -> SourceConnection:
        row = session.scalar(
            select(SourceConnection).where(SourceConnection.source_id == source_id)
        )
        if row is None:
            raise NotFound(f"source {source_id} has no connection")
        return row

    def update_connection(self, source_id: int, **fields: Any) -> None:
        """Change what a connection reads or how often; it is read again at the next round."""
        _check_connection(fields)
        with self.session() as session:
            row = self._connection_row(session, source_id)
            for key in _CONNECTION_FIELDS:
                if key in fields:
                    setattr(row, key, fields[key])
            row.state, row.problem, row.read_at, row.fingerprint = "new", None, None, None
            session.commit()

    def record_connection_read(
        self,
        source_id: int,
        state: str,
        problem: str | None = None,
        rows: int | None = None,
        fingerprint: str | None = None,
    ) -> None:
        """How the latest read went (``ok`` with the rows and a fingerprint of them, or
        ``failed`` with the problem's word); a failed read keeps the last good figures."""
        if state not in CONNECTION_STATES:
            raise StoreError(f"unknown connection state {state!r}")
        with self.session() as session:
            row = self._connection_row(session, source_id)
            row.state, row.problem, row.read_at = state, problem, utcnow()
            if state == "ok":
                row.rows, row.fingerprint = rows, fingerprint
            session.commit()

    def due_connections(self, now: dt.datetime | None = None) -> list[SourceInfo]:
        """Sources whose connection is to be read again: never read yet, or read longer ago
        than its refresh interval (``off``: never on a schedule)."""
        now = now or utcnow()
        with self.session() as session:
            rows = session.scalars(
                select(SourceConnection).where(SourceConnection.refresh != "off")
            ).all()
            due = [
                row.source_id
                for row in rows
                if row.read_at is None
                or (now - aware(row.read_at)).total_seconds() >= _REFRESH_SECONDS[row.refresh]
            ]
            sources = [session.get(DataSource, source_id) for source_id in sorted(due)]
            return [self._source_info(session, s) for s in sources if s is not None]

    def sources(self, map_id: int) -> list[SourceInfo]:
        with self.session() as session:
            rows = session.scalars(
                select(DataSource).where(DataSource.map_id == map_id).order_by(DataSource.id)
            ).all()
            return [self._source_info(session, row) for row in rows]

    def get_source(self, map_id: int, source_id: int) -> SourceInfo:
        with self.session() as session:
            row = session.get(DataSource, source_id)
            if row is None or row.map_id != map_id:
                raise NotFound(f"no source {source_id}")
            return self._source_info(session, row)

    def add_source_file(
        self, source_id: int, filename: str, stored: str, size: int, user_id: int | None
    ) -> SourceFileInfo:
        """A new period of the source: the next number after its newest file."""
        with self.session() as session:
            last = session.scalar(
                select(func.max(SourceFile.period)).where(SourceFile.source_id == source_id)
            )
            row = SourceFile(
                source_id=source_id, period=(last or 0) + 1, filename=filename[:300],
                stored=stored, size=size, created_by=user_id,
            )  # fmt: skip
            session.add(row)
            session.commit()
            return _file_info(row)

    def set_source_file_stored(self, file_id: int, stored: str, size: int | None = None) -> None:
        with self.session() as session:
            row = session.get(SourceFile, file_id)
            if row is None:
                raise NotFound(f"no file {file_id}")
            row.stored = stored
            if size is not None:
                row.size = size
            session.commit()

    def confirm_source_file(
        self, source_id: int, file_id: int, mapping: dict[str, Any], report: dict[str, Any]
    ) -> None:
        """The file's columns are confirmed: the mapping becomes the source's, the report kept."""
        with self.session() as session:
            row = session.get(SourceFile, file_id)
            source = session.get(DataSource, source_id)
            if row is None or source is None or row.source_id != source_id:
                raise NotFound(f"no file {file_id}")
            row.confirmed, row.report, source.mapping = True, report, mapping
            session.commit()

    def delete_source_file(self, source_id: int, file_id: int) -> None:
        with self.session() as session:
            row = session.get(SourceFile, file_id)
            if row is None or row.source_id != source_id:
                raise NotFound(f"no file {file_id}")
            session.delete(row)
            session.commit()

    def expired_source_files(self, before: dt.datetime) -> list[SourceFileInfo]:
        """Files uploaded before ``before``: past the retention, to be deleted."""
        with self.session() as session:
            rows = session.scalars(select(SourceFile).where(SourceFile.created_at < before))
            return [_file_info(row) for row in rows]

    def stored_source_files(self) -> set[str]:
        """Where every kept file lies (relative to the data folder)."""
        with self.session() as session:
            return set(session.scalars(select(SourceFile.stored)))
