"""Notifications in the app (read/unread, e-mailed or waiting for a digest), each person's
digest setting, the watchers of a map and a map's evidence status."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError

from ._base import StoreBase, aware
from .schema import (
    DIGESTS,
    MAP_STATES,
    JobLease,
    MapRecord,
    MapStatus,
    MapVersion,
    MapWatcher,
    Membership,
    Notification,
    NotificationPreference,
    User,
    utcnow,
)
from .values import NotFound, StoreError


@dataclass(frozen=True)
class NotificationInfo:
    id: int
    user_id: int
    map_id: int | None
    kind: str
    subject: str
    body: str
    url: str
    created_at: dt.datetime
    read: bool
    emailed: bool


@dataclass(frozen=True)
class Preferences:
    """How a person hears of things by e-mail: ``digest`` is ``immediately`` or ``daily``."""

    digest: str = "immediately"
    email: bool = True
    last_digest_at: dt.datetime | None = None


@dataclass(frozen=True)
class MapStatusInfo:
    map_id: int
    state: str  # unknown, fresh or stale
    since: dt.datetime | None
    reasons: dict[str, Any]
    analysis_id: int | None
    checked_at: dt.datetime


def _note(row: Notification) -> NotificationInfo:
    return NotificationInfo(
        row.id, row.user_id, row.map_id, row.kind, row.subject, row.body, row.url,
        aware(row.created_at), row.read_at is not None, row.emailed_at is not None,
    )  # fmt: skip


def _status(row: MapStatus) -> MapStatusInfo:
    return MapStatusInfo(
        row.map_id, row.state, row.since and aware(row.since), row.reasons or {},
        row.analysis_id, aware(row.checked_at),
    )  # fmt: skip


class NotificationsStore(StoreBase):
    # --- notifications --------------------------------------------------------------------
    def add_notifications(
        self,
        user_ids: Iterable[int],
        kind: str,
        subject: str,
        body: str = "",
        url: str = "",
        map_id: int | None = None,
    ) -> list[NotificationInfo]:
        """One unread notification for each (distinct, existing) user."""
        with self.session() as session:
            wanted = sorted(set(user_ids))
            known = set(session.scalars(select(User.id).where(User.id.in_(wanted))).all())
            rows = [
                Notification(user_id=u, map_id=map_id, kind=kind[:40], subject=subject[:300],
                             body=body, url=url[:500])
                for u in wanted if u in known
            ]  # fmt: skip
            session.add_all(rows)
            session.commit()
            return [_note(row) for row in rows]

    def notifications(
        self, user_id: int, *, unread_only: bool = False, limit: int = 100
    ) -> list[NotificationInfo]:
        with self.session() as session:
            query = select(Notification).where(Notification.user_id == user_id)
            if unread_only:
                query = query.where(Notification.read_at.is_(None))
            rows = session.scalars(query.order_by(Notification.id.desc()).limit(limit)).all()
            return [_note(row) for row in rows]

    def unread_count(self, user_id: int) -> int:
        with self.session() as session:
            return int(
                session.scalar(
                    select(func.count()).where(
                        Notification.user_id == user_id, Notification.read_at.is_(None)
                    )
                )
                or 0
            )

    def mark_read(self, user_id: int, ids: Iterable[int] | None = None, read: bool = True) -> int:
        """Mark the user's notifications ``ids`` (all of them with None) read or unread."""
        query = update(Notification).where(Notification.user_id == user_id)
        if ids is not None:
            query = query.where(Notification.id.in_(list(ids)))
        with self.session() as session:
            done = session.execute(query.values(read_at=utcnow() if read else None))
            session.commit()
            return int(done.rowcount)  # type: ignore[attr-defined]

    def unsent_notifications(self, user_id: int) -> list[NotificationInfo]:
        """The user's notifications not e-mailed yet, oldest first."""
        with self.session() as session:
            rows = session.scalars(
                select(Notification)
                .where(Notification.user_id == user_id, Notification.emailed_at.is_(None))
                .order_by(Notification.id)
            ).all()
            return [_note(row) for row in rows]

    def users_with_unsent(self) -> list[int]:
        """Who has notifications not e-mailed yet."""
        with self.session() as session:
            return sorted(
                session.scalars(
                    select(Notification.user_id).where(Notification.emailed_at.is_(None)).distinct()
                )
            )

    def mark_emailed(self, ids: Iterable[int]) -> None:
        with self.session() as session:
            session.execute(
                update(Notification)
                .where(Notification.id.in_(list(ids)), Notification.emailed_at.is_(None))
                .values(emailed_at=utcnow())
            )
            session.commit()

    # --- preferences ----------------------------------------------------------------------
    def preferences(self, user_id: int) -> Preferences:
        with self.session() as session:
            row = session.get(NotificationPreference, user_id)
            if row is None:
                return Preferences()
            last = row.last_digest_at and aware(row.last_digest_at)
            return Preferences(row.digest, row.email, last)

    def set_preferences(
        self,
        user_id: int,
        *,
        digest: str | None = None,
        email: bool | None = None,
        last_digest_at: dt.datetime | None = None,
    ) -> Preferences:
        if digest is not None and digest not in DIGESTS:
            raise StoreError(f"unknown digest setting {digest!r}: {' or '.join(DIGESTS)}")
        with self.session() as session:
            if session.get(User, user_id) is None:
                raise NotFound(f"no user {user_id}")
            row = session.get(NotificationPreference, user_id)
            if row is None:
                row = NotificationPreference(user_id=user_id, digest="immediately", email=True)
                session.add(row)
            if digest is not None:
                row.digest = digest
            if email is not None:
                row.email = email
            if last_digest_at is not None:
                row.last_digest_at = last_digest_at
            session.commit()
        return self.preferences(user_id)

    def digest_users(self) -> list[int]:
        """Who wants a daily digest (and e-mail at all)."""
        with self.session() as session:
            return list(
                session.scalars(
                    select(NotificationPreference.user_id).where(
                        NotificationPreference.digest == "daily", NotificationPreference.email
                    )
                ).all()
            )

    # --- watchers and owners --------------------------------------------------------------
    def watch_map(self, map_id: int, user_id: int, watch: bool = True) -> None:
        with self.session() as session:
            if session.get(MapRecord, map_id) is None:
                raise NotFound(f"no map {map_id}")
            if not watch:
                session.execute(
                    delete(MapWatcher).where(
                        MapWatcher.map_id == map_id, MapWatcher.user_id == user_id
                    )
                )
                session.commit()
                return
            session.add(MapWatcher(map_id=map_id, user_id=user_id))
            try:
                session.commit()
            except IntegrityError:  # watching already
                session.rollback()

    def watchers(self, map_id: int) -> list[int]:
        with self.session() as session:
            return sorted(
                session.scalars(select(MapWatcher.user_id).where(MapWatcher.map_id == map_id))
            )

    def is_watching(self, map_id: int, user_id: int) -> bool:
        return user_id in self.watchers(map_id)

    def map_owners(self, map_id: int) -> list[int]:
        """Who owns a map: the workspace's owners and the person who made it (still a
        member of the workspace)."""
        with self.session() as session:
            row = session.get(MapRecord, map_id)
            if row is None:
                raise NotFound(f"no map {map_id}")
            members = {
                user: role
                for user, role in session.execute(
                    select(Membership.user_id, Membership.role).where(
                        Membership.workspace_id == row.workspace_id
                    )
                )
            }
            maker = session.scalar(
                select(MapVersion.author_id).where(
                    MapVersion.map_id == map_id, MapVersion.number == 1
                )
            )
            owners = {user for user, role in members.items() if role == "owner"}
            if maker is not None and maker in members:
                owners.add(maker)
            return sorted(owners)

    def map_audience(self, map_id: int) -> list[int]:
        """The map's owners and watchers who are still members of its workspace."""
        with self.session() as session:
            row = session.get(MapRecord, map_id)
            if row is None:
                raise NotFound(f"no map {map_id}")
            members = set(
                session.scalars(
                    select(Membership.user_id).where(Membership.workspace_id == row.workspace_id)
                )
            )
        return sorted(set(self.map_owners(map_id)) | (set(self.watchers(map_id)) & members))

    def all_map_ids(self) -> list[int]:
        with self.session() as session:
            return sorted(session.scalars(select(MapRecord.id)))

    # --- map status -----------------------------------------------------------------------
    def map_status(self, map_id: int) -> MapStatusInfo | None:
        with self.session() as session:
            row = session.get(MapStatus, map_id)
            return _status(row) if row else None

    def map_statuses(self, map_ids: Iterable[int]) -> dict[int, MapStatusInfo]:
        with self.session() as session:
            rows = session.scalars(select(MapStatus).where(MapStatus.map_id.in_(list(map_ids))))
            return {row.map_id: _status(row) for row in rows}

    def set_map_status(
        self, map_id: int, state: str, reasons: dict[str, Any], analysis_id: int | None
    ) -> tuple[MapStatusInfo | None, MapStatusInfo]:
        """Record the map's status; returns (the one before, the one now). ``since`` is when
        the map entered this state, kept while it stays there."""
        if state not in MAP_STATES:
            raise StoreError(f"unknown map status {state!r}")
        now = utcnow()
        with self.session() as session:
            row = session.get(MapStatus, map_id, with_for_update=True)
            before = _status(row) if row else None
            if row is None:
                row = MapStatus(map_id=map_id, state=state, since=now)
                session.add(row)
            elif row.state != state:
                row.state, row.since = state, now
            row.reasons, row.analysis_id, row.checked_at = reasons, analysis_id, now
            session.commit()
            return before, _status(row)

    # --- leases of scheduled jobs ---------------------------------------------------------
    def take_lease(self, name: str, holder: str, seconds: float) -> bool:
        """Take (or renew) the lease of job ``name`` for ``seconds`` when it is free, expired
        or already ``holder``'s: a compare-and-set, so of several processes one wins."""
        now = utcnow()
        until = now + dt.timedelta(seconds=seconds)
        with self.session() as session:
            moved = session.execute(
                update(JobLease)
                .where(
                    JobLease.name == name,
                    (JobLease.holder == holder) | (JobLease.expires_at < now),
                )
                .values(holder=holder, expires_at=until)
                .execution_options(synchronize_session=False)
            )
            if moved.rowcount == 1:  # type: ignore[attr-defined]
                session.commit()
                return True
            session.rollback()
            if session.get(JobLease, name) is not None:
                return False
            session.add(JobLease(name=name, holder=holder, expires_at=until))
            try:
                session.commit()
            except IntegrityError:  # another process made it first
                session.rollback()
                return False
            return True
