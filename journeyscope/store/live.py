"""Who is on a map now: one row per open editor (a *client*), with the cell it has selected.

The rows live in the database, not in a server's memory, so every server process sees the
people connected to the others (PostgreSQL with several workers), and a restart loses nothing
but the connections (which come back by themselves). A row not seen for ``PRESENCE_TTL``
seconds belongs to a browser that went away without saying so; it is no longer listed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import delete, func, select, update

from ._base import StoreBase
from .schema import Comment, Presence, User, utcnow

PRESENCE_TTL = 20.0


@dataclass(frozen=True)
class PresenceInfo:
    client: str
    user_id: int
    name: str
    cell: str | None


class LiveStore(StoreBase):
    def touch_presence(self, map_id: int, client: str, user_id: int, cell: str | None) -> None:
        """Say ``client`` (of ``user_id``) is on the map, with ``cell`` selected."""
        with self.session() as session:
            moved = session.execute(
                update(Presence)
                .where(Presence.client == client)
                .values(cell=cell, seen_at=utcnow())
                .execution_options(synchronize_session=False)
            )
            if moved.rowcount == 0:  # type: ignore[attr-defined]
                session.add(
                    Presence(
                        map_id=map_id, user_id=user_id, client=client, cell=cell, seen_at=utcnow()
                    )
                )
            session.commit()

    def keep_present(self, clients: list[str]) -> None:
        """Refresh the rows of the clients still connected to this process."""
        if not clients:
            return
        with self.session() as session:
            session.execute(
                update(Presence)
                .where(Presence.client.in_(clients))
                .values(seen_at=utcnow())
                .execution_options(synchronize_session=False)
            )
            session.commit()

    def leave_presence(self, client: str) -> None:
        with self.session() as session:
            session.execute(delete(Presence).where(Presence.client == client))
            session.commit()

    def presence(self, map_id: int, ttl: float = PRESENCE_TTL) -> list[PresenceInfo]:
        """The clients on ``map_id`` seen in the last ``ttl`` seconds, oldest first."""
        since = utcnow() - dt.timedelta(seconds=ttl)
        with self.session() as session:
            rows = session.execute(
                select(Presence.client, Presence.user_id, User.name, Presence.cell)
                .join(User, User.id == Presence.user_id)
                .where(Presence.map_id == map_id, Presence.seen_at >= since)
                .order_by(Presence.id)
            ).all()
            return [PresenceInfo(*row) for row in rows]

    def comments_stamp(self, map_id: int) -> tuple[int, int, int]:
        """Changes whenever a comment on the map is added, deleted, resolved or reopened."""
        with self.session() as session:
            row = session.execute(
                select(
                    func.count(Comment.id),
                    func.coalesce(func.max(Comment.id), 0),
                    func.count(Comment.resolved_at),
                ).where(Comment.map_id == map_id)
            ).one()
            return int(row[0]), int(row[1]), int(row[2])
