"""Evidence analyses of a map: an uploaded event file, its job status, the stored result."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from ._base import StoreBase, aware
from .schema import ANALYSIS_STATES, AnalysisRun, MapRecord, utcnow
from .values import AnalysisInfo, NotFound, StoreError


def _info(row: AnalysisRun, full: bool = False) -> AnalysisInfo:
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
        row.result if full else None,
        row.quarantine if full else None,
        row.insights if full else None,
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

    def get_analysis(self, map_id: int, analysis_id: int, full: bool = False) -> AnalysisInfo:
        with self.session() as session:
            row = session.get(AnalysisRun, analysis_id)
            if row is None or row.map_id != map_id:
                raise NotFound(f"no analysis {analysis_id}")
            return _info(row, full)

    def analyses(self, map_id: int) -> list[AnalysisInfo]:
        with self.session() as session:
            rows = session.scalars(
                select(AnalysisRun)
                .where(AnalysisRun.map_id == map_id)
                .order_by(AnalysisRun.id.desc())
            ).all()
            return [_info(row) for row in rows]

    def latest_analysis(self, map_id: int) -> AnalysisInfo | None:
        """The newest finished analysis of the map, with its result."""
        with self.session() as session:
            row = session.scalar(
                select(AnalysisRun)
                .where(AnalysisRun.map_id == map_id, AnalysisRun.status == "done")
                .order_by(AnalysisRun.id.desc())
                .limit(1)
            )
            return _info(row, True) if row else None

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
