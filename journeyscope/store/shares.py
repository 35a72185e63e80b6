"""Read-only share links of a map (the URL carries a secret, the store keeps its hash; a
revoked link opens nothing) and the tags that sort a workspace's maps into folders."""

from __future__ import annotations

import datetime as dt
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import delete, select, update

from ._base import StoreBase, aware
from .schema import MapRecord, MapTag, MapVersion, ShareLink, User, utcnow
from .sessions import hash_secret
from .values import InvalidValue, NotFound

SHARE_PREFIX = "jss_"
#: A tag: letters, digits, spaces, ``-``, ``_`` and ``/`` (``/`` nests folders: ``sales/eu``).
TAG_PATTERN = re.compile(r"^[\w][\w ./-]{0,79}$")
MAX_TAGS = 20


@dataclass(frozen=True)
class ShareInfo:
    id: int
    map_id: int
    label: str
    created_by: int | None
    created_at: dt.datetime
    revoked: bool
    last_used_at: dt.datetime | None


def _share(row: ShareLink) -> ShareInfo:
    return ShareInfo(
        row.id, row.map_id, row.label, row.created_by, aware(row.created_at),
        row.revoked_at is not None, row.last_used_at and aware(row.last_used_at),
    )  # fmt: skip


def clean_tags(tags: Iterable[str]) -> list[str]:
    """Tags as stored: trimmed, lower-case, each once, in order; InvalidValue names a bad one."""
    out: list[str] = []
    for raw in tags:
        tag = " ".join(raw.split()).strip(" /").lower()
        if not tag:
            continue
        if not TAG_PATTERN.match(tag):
            raise InvalidValue(
                f"the tag {raw[:80]!r} may use letters, digits, spaces, - _ . and / "
                "(at most 80 characters)"
            )
        if tag not in out:
            out.append(tag)
    if len(out) > MAX_TAGS:
        raise InvalidValue(f"a map can have at most {MAX_TAGS} tags")
    return out


class SharesStore(StoreBase):
    # --- share links ----------------------------------------------------------------------
    def create_share(
        self, map_id: int, user_id: int | None, label: str = ""
    ) -> tuple[ShareInfo, str]:
        """A new read-only link to the map: its info and the secret (shown once)."""
        secret = SHARE_PREFIX + secrets.token_urlsafe(32)
        with self.session() as session:
            if session.get(MapRecord, map_id) is None:
                raise NotFound(f"no map {map_id}")
            row = ShareLink(
                map_id=map_id, token_hash=hash_secret(secret), label=label.strip()[:200],
                created_by=user_id,
            )  # fmt: skip
            session.add(row)
            session.commit()
            return _share(row), secret

    def shares(self, map_id: int) -> list[ShareInfo]:
        with self.session() as session:
            rows = session.scalars(
                select(ShareLink).where(ShareLink.map_id == map_id).order_by(ShareLink.id.desc())
            )
            return [_share(row) for row in rows]

    def revoke_share(self, map_id: int, share_id: int) -> None:
        with self.session() as session:
            row = session.get(ShareLink, share_id)
            if row is None or row.map_id != map_id:
                raise NotFound(f"no share link {share_id}")
            row.revoked_at = row.revoked_at or utcnow()
            session.commit()

    def map_for_share(self, secret: str) -> int | None:
        """The map a (not revoked) share link opens, or None."""
        if not secret.startswith(SHARE_PREFIX) or len(secret) > 100:
            return None
        with self.session() as session:
            row = session.scalar(
                select(ShareLink).where(ShareLink.token_hash == hash_secret(secret))
            )
            if row is None or row.revoked_at is not None:
                return None
            now = utcnow()
            if row.last_used_at is None or now - aware(row.last_used_at) > dt.timedelta(minutes=1):
                session.execute(
                    update(ShareLink).where(ShareLink.id == row.id).values(last_used_at=now)
                )
                session.commit()
            return row.map_id

    # --- tags -----------------------------------------------------------------------------
    def set_tags(self, map_id: int, tags: Iterable[str]) -> list[str]:
        wanted = clean_tags(tags)
        with self.session() as session:
            if session.get(MapRecord, map_id) is None:
                raise NotFound(f"no map {map_id}")
            session.execute(delete(MapTag).where(MapTag.map_id == map_id))
            session.add_all(MapTag(map_id=map_id, tag=tag) for tag in wanted)
            session.commit()
        return wanted

    def tags_of(self, map_ids: Iterable[int]) -> dict[int, list[str]]:
        with self.session() as session:
            rows = session.execute(
                select(MapTag.map_id, MapTag.tag)
                .where(MapTag.map_id.in_(list(map_ids)))
                .order_by(MapTag.tag)
            )
            out: dict[int, list[str]] = {}
            for map_id, tag in rows:
                out.setdefault(map_id, []).append(tag)
            return out

    def workspace_tags(self, workspace_id: int) -> list[str]:
        with self.session() as session:
            return sorted(
                set(
                    session.scalars(
                        select(MapTag.tag)
                        .join(MapRecord, MapRecord.id == MapTag.map_id)
                        .where(MapRecord.workspace_id == workspace_id)
                    )
                )
            )

    # --- who made each map ----------------------------------------------------------------
    def map_makers(self, map_ids: Iterable[int]) -> dict[int, tuple[int, str]]:
        """The account (id, name) that made each map (the author of its first version)."""
        with self.session() as session:
            rows = session.execute(
                select(MapVersion.map_id, User.id, User.name)
                .join(User, User.id == MapVersion.author_id)
                .where(MapVersion.map_id.in_(list(map_ids)), MapVersion.number == 1)
            )
            return {map_id: (user_id, name) for map_id, user_id, name in rows}
