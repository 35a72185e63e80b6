"""Maps and their versions (YAML text, optimistic concurrency), comments, pain-point decisions."""

from __future__ import annotations

import pickle
import threading
from collections import OrderedDict
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..formats import dump_map, parse_map
from ..model import JourneyMap
from ..model.diff import Change, diff_maps
from ._base import StoreBase, aware, check_text
from .schema import (
    DECISIONS,
    Comment,
    CommentMention,
    MapRecord,
    MapVersion,
    PainPointDecision,
    User,
    utcnow,
)
from .values import (
    CommentInfo,
    DecisionInfo,
    MapInfo,
    NotFound,
    StaleVersion,
    StoreError,
    VersionInfo,
)


class ParsedMaps:
    """The maps parsed from stored version texts, the most recently used ``size`` of them
    (fewer when they would hold more than ``max_bytes`` of text and pickles).

    A version's text never changes, and the parse depends on nothing but the text, so the key
    is the text itself: a hit can only hand back what parsing that very text gives (no map of
    another workspace, whatever the ids). Callers check access before they read a version.
    Each caller gets its own copy (a map is a mutable model an edit may change), unpickled
    from bytes pickled here (twice as fast as a deep copy; nothing from outside is ever
    unpickled). Reading and checking a map file is the slowest part of most workspace pages:
    every map page, the pain-point board, the evaluation and history pages (their status
    badge) read one.
    """

    def __init__(self, size: int = 64, max_bytes: int = 64 * 1024 * 1024):
        self.size, self.max_bytes = size, max_bytes
        self.parses = 0  #: how many texts were parsed (not found here)
        self._maps: OrderedDict[str, bytes] = OrderedDict()
        self._bytes = 0  # the texts' and pickles' lengths (a map file may be megabytes)
        self._lock = threading.Lock()

    def get(self, text: str, filename: str) -> JourneyMap:
        with self._lock:
            found = self._maps.get(text)
            if found is not None:
                self._maps.move_to_end(text)
        if found is None:
            journey = parse_map(text, filename)  # outside the lock: raises for a broken text
            found = pickle.dumps(journey, protocol=pickle.HIGHEST_PROTOCOL)
            with self._lock:
                self.parses += 1
                if text not in self._maps:  # (another thread may have parsed it meanwhile)
                    self._bytes += len(text) + len(found)
                    self._maps[text] = found
                self._maps.move_to_end(text)
                while len(self._maps) > self.size or (
                    self._bytes > self.max_bytes and len(self._maps) > 1
                ):
                    old, pickled = self._maps.popitem(last=False)
                    self._bytes -= len(old) + len(pickled)
        copy: JourneyMap = pickle.loads(found)  # pickled above, by this process
        return copy

    def clear(self) -> None:
        with self._lock:
            self._maps.clear()
            self._bytes = 0


#: The process's parsed versions (see :class:`ParsedMaps`).
PARSED = ParsedMaps()


def _info(row: MapRecord) -> MapInfo:
    return MapInfo(
        row.id,
        row.workspace_id,
        row.title,
        row.current_version,
        aware(row.created_at),
        aware(row.updated_at),
    )


def _author(session: Session, user_id: int | None) -> str | None:
    user = session.get(User, user_id) if user_id is not None else None
    return user.name if user else None


class MapsStore(StoreBase):
    def create_map(
        self, workspace_id: int, journey: JourneyMap, author_id: int | None, message: str = ""
    ) -> MapInfo:
        """Store a new map as version 1."""
        with self.session() as session:
            row = MapRecord(workspace_id=workspace_id, title=journey.title, current_version=1)
            session.add(row)
            session.flush()
            session.add(
                MapVersion(
                    map_id=row.id,
                    number=1,
                    yaml_text=dump_map(journey),
                    author_id=author_id,
                    message=message or "created",
                )
            )
            session.commit()
            return _info(row)

    def _row(self, session: Session, map_id: int, workspace_id: int | None) -> MapRecord:
        row = session.get(MapRecord, map_id)
        if row is None or (workspace_id is not None and row.workspace_id != workspace_id):
            raise NotFound(f"no map {map_id}")
        return row

    def get_map(self, map_id: int, workspace_id: int | None = None) -> MapInfo:
        """The map; NotFound when it does not exist or belongs to another workspace."""
        with self.session() as session:
            return _info(self._row(session, map_id, workspace_id))

    def list_maps(self, workspace_id: int) -> list[MapInfo]:
        with self.session() as session:
            rows = session.scalars(
                select(MapRecord)
                .where(MapRecord.workspace_id == workspace_id)
                .order_by(MapRecord.updated_at.desc(), MapRecord.id.desc())
            ).all()
            return [_info(row) for row in rows]

    def delete_map(self, map_id: int, workspace_id: int | None = None) -> None:
        with self.session() as session:
            session.delete(self._row(session, map_id, workspace_id))
            session.commit()

    def map_text(self, map_id: int, version: int | None = None) -> tuple[str, int]:
        """The YAML text of ``version`` (default: the current one) and its number."""
        with self.session() as session:
            row = self._row(session, map_id, None)
            number = version if version is not None else row.current_version
            text = session.scalar(
                select(MapVersion.yaml_text).where(
                    MapVersion.map_id == map_id, MapVersion.number == number
                )
            )
            if text is None:
                raise NotFound(f"map {map_id} has no version {number}")
            return text, number

    def load_journey(self, map_id: int, version: int | None = None) -> tuple[JourneyMap, int]:
        text, number = self.map_text(map_id, version)
        return PARSED.get(text, f"map-{map_id}-v{number}.yaml"), number

    def save_map(
        self,
        map_id: int,
        journey: JourneyMap,
        base_version: int,
        author_id: int | None,
        message: str = "",
        previous: JourneyMap | None = None,
    ) -> MapInfo:
        """Store ``journey`` as the next version, if nobody saved since ``base_version``, with
        what changed from it (``previous``: the base version's map, when the caller has it at
        hand; read otherwise).

        Raises :class:`StaleVersion` (with what changed since) when the edit is stale; two
        racing saves cannot both win, since (map, number) is unique.
        """
        check_text(journey.title, "title", 500)
        check_text(message, "message", 500)
        text, now = dump_map(journey), utcnow()
        with self.session() as session:
            row = self._row(session, map_id, None)
            created = row.created_at
            changes = (
                [change.as_dict() for change in diff_maps(previous, journey)]
                if previous is not None
                else self._changes_from(session, map_id, base_version, journey)
            )
            # compare-and-set: only the save still based on the current version moves it on
            moved = session.execute(
                update(MapRecord)
                .where(MapRecord.id == map_id, MapRecord.current_version == base_version)
                .values(current_version=base_version + 1, title=journey.title, updated_at=now)
                .execution_options(synchronize_session=False)
            )
            if moved.rowcount == 1:  # type: ignore[attr-defined]
                session.add(
                    MapVersion(
                        map_id=map_id,
                        number=base_version + 1,
                        yaml_text=text,
                        author_id=author_id,
                        message=message or "edited",
                        changes=changes,
                    )
                )
                try:
                    session.commit()
                except IntegrityError:
                    session.rollback()
                else:
                    return MapInfo(
                        map_id, row.workspace_id, journey.title, base_version + 1,
                        aware(created), now,
                    )  # fmt: skip
            else:
                session.rollback()
        # the session is closed: what changed since is read with a connection of its own, so
        # one save never holds two (a pool of N connections serves N concurrent saves)
        raise self._stale(map_id, base_version, self.get_map(map_id).current_version)

    def _stale(self, map_id: int, base: int, current: int) -> StaleVersion:
        try:
            changes = self.diff_versions(map_id, base, current)
        except NotFound:
            changes = []
        return StaleVersion(base, current, changes)

    def restore_version(
        self, map_id: int, number: int, base_version: int, author_id: int | None
    ) -> MapInfo:
        """Save the text of an old version as the newest version."""
        journey, _ = self.load_journey(map_id, number)
        return self.save_map(map_id, journey, base_version, author_id, f"restored version {number}")

    def versions(self, map_id: int) -> list[VersionInfo]:
        with self.session() as session:
            self._row(session, map_id, None)
            rows = session.scalars(
                select(MapVersion)
                .where(MapVersion.map_id == map_id)
                .order_by(MapVersion.number.desc())
            ).all()
            return [
                VersionInfo(r.number, _author(session, r.author_id), r.message, aware(r.created_at))
                for r in rows
            ]

    def version_page(
        self, map_id: int, offset: int = 0, limit: int = 20
    ) -> tuple[list[VersionInfo], int]:
        """One page of the history, newest first, each with what changed (stored when it was
        saved; computed once and stored for versions saved before diffs were), and the total."""
        with self.session() as session:
            row = self._row(session, map_id, None)
            query = (
                select(MapVersion, User.name)
                .outerjoin(User, User.id == MapVersion.author_id)
                .where(MapVersion.map_id == map_id)
                .order_by(MapVersion.number.desc())
                .offset(offset)
                .limit(limit)
            )
            page = []
            for version, author in session.execute(query).all():
                if version.changes is None:
                    version.changes = self._backfill(session, version)
                page.append(
                    VersionInfo(
                        version.number,
                        author,
                        version.message,
                        aware(version.created_at),
                        version.changes,
                    )
                )
            session.commit()
            return page, row.current_version

    def _changes_from(
        self, session: Session, map_id: int, number: int, journey: JourneyMap
    ) -> list[dict[str, Any]] | None:
        text = session.scalar(
            select(MapVersion.yaml_text).where(
                MapVersion.map_id == map_id, MapVersion.number == number
            )
        )
        if text is None:
            return None
        before = PARSED.get(text, f"map-{map_id}-v{number}.yaml")
        return [change.as_dict() for change in diff_maps(before, journey)]

    def _backfill(self, session: Session, version: MapVersion) -> list[dict[str, Any]]:
        if version.number == 1:
            return []
        journey = PARSED.get(version.yaml_text, f"map-{version.map_id}-v{version.number}.yaml")
        found = self._changes_from(session, version.map_id, version.number - 1, journey)
        return found or []

    def diff_versions(self, map_id: int, old: int, new: int) -> list[Change]:
        """What changed from version ``old`` to version ``new``."""
        before, _ = self.load_journey(map_id, old)
        after, _ = self.load_journey(map_id, new)
        return diff_maps(before, after)

    # --- comments ---------------------------------------------------------------------------
    def add_comment(
        self,
        map_id: int,
        element_id: str,
        author_id: int | None,
        body: str,
        parent_id: int | None = None,
        mentions: list[int] | tuple[int, ...] = (),
    ) -> CommentInfo:
        """A comment on ``element_id``; with ``parent_id``, a reply in that comment's thread
        (a reply to a reply joins the same thread). ``mentions``: account ids it @mentions."""
        body = body.strip()
        if not body:
            raise StoreError("a comment needs some text")
        with self.session() as session:
            self._row(session, map_id, None)
            if parent_id is not None:
                parent = session.get(Comment, parent_id)
                if parent is None or parent.map_id != map_id:
                    raise NotFound(f"no comment {parent_id} on this map")
                parent_id, element_id = parent.parent_id or parent.id, parent.element_id
            row = Comment(
                map_id=map_id,
                element_id=element_id,
                author_id=author_id,
                body=body,
                parent_id=parent_id,
            )
            session.add(row)
            session.flush()
            for user_id in dict.fromkeys(mentions):
                session.add(CommentMention(comment_id=row.id, user_id=user_id))
            session.commit()
            return self._comment(session, row)

    def resolve_comment(
        self, map_id: int, comment_id: int, user_id: int | None, resolved: bool = True
    ) -> CommentInfo:
        """Mark a thread done (or open again); the thread is its first comment."""
        with self.session() as session:
            row = session.get(Comment, comment_id)
            if row is None or row.map_id != map_id:
                raise NotFound(f"no comment {comment_id}")
            if row.parent_id is not None:
                row = session.get(Comment, row.parent_id) or row
            row.resolved_at, row.resolved_by = (utcnow(), user_id) if resolved else (None, None)
            session.commit()
            return self._comment(session, row)

    @staticmethod
    def _comment(session: Session, row: Comment) -> CommentInfo:
        mentioned = session.scalars(
            select(User.name)
            .join(CommentMention, CommentMention.user_id == User.id)
            .where(CommentMention.comment_id == row.id)
            .order_by(User.name)
        ).all()
        return CommentInfo(
            row.id,
            row.element_id,
            _author(session, row.author_id),
            row.body,
            aware(row.created_at),
            row.parent_id,
            aware(row.resolved_at) if row.resolved_at else None,
            tuple(mentioned),
            row.author_id,
        )

    def comments(self, map_id: int, element_id: str | None = None) -> list[CommentInfo]:
        with self.session() as session:
            query = select(Comment).where(Comment.map_id == map_id)
            if element_id is not None:
                query = query.where(Comment.element_id == element_id)
            rows = session.scalars(query.order_by(Comment.id)).all()
            return [self._comment(session, row) for row in rows]

    def comment_author(self, map_id: int, comment_id: int) -> int | None:
        with self.session() as session:
            row = session.get(Comment, comment_id)
            if row is None or row.map_id != map_id:
                raise NotFound(f"no comment {comment_id}")
            return row.author_id

    def delete_comment(self, map_id: int, comment_id: int) -> None:
        with self.session() as session:
            row = session.get(Comment, comment_id)
            if row is None or row.map_id != map_id:
                raise NotFound(f"no comment {comment_id}")
            session.delete(row)
            session.commit()

    # --- pain-point decisions -------------------------------------------------------------
    def set_decision(
        self,
        map_id: int,
        pain_point: str,
        status: str,
        *,
        owner: str | None = None,
        opportunity_id: str | None = None,
        note: str = "",
        user_id: int | None = None,
    ) -> DecisionInfo:
        """Record what the team decided about one pain point (keyed by ``pain_point``)."""
        if status not in DECISIONS:
            raise StoreError(f"unknown status {status!r}; use one of {', '.join(DECISIONS)}")
        with self.session() as session:
            self._row(session, map_id, None)
            row = session.scalar(
                select(PainPointDecision).where(
                    PainPointDecision.map_id == map_id, PainPointDecision.pain_point == pain_point
                )
            )
            if row is None:
                row = PainPointDecision(map_id=map_id, pain_point=pain_point)
                session.add(row)
            row.status, row.owner, row.opportunity_id = status, owner or None, opportunity_id
            row.note, row.updated_by, row.updated_at = note, user_id, utcnow()
            session.commit()
            return _decision(row)

    def decisions(self, map_id: int) -> dict[str, DecisionInfo]:
        with self.session() as session:
            rows = session.scalars(
                select(PainPointDecision).where(PainPointDecision.map_id == map_id)
            ).all()
            return {row.pain_point: _decision(row) for row in rows}


def _decision(row: PainPointDecision) -> DecisionInfo:
    return DecisionInfo(
        row.pain_point,
        row.status,
        row.owner,
        row.opportunity_id,
        row.note,
        aware(row.updated_at),
    )
