"""Pictures uploaded to a workspace (persona photos, images in cells), already checked and
re-encoded by the caller; a map file points at one by its path (``images/ana-3f2a9c1b.jpg``)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import ForeignKey, LargeBinary, String, UniqueConstraint, select
from sqlalchemy.orm import Mapped, mapped_column

from ._base import StoreBase
from .schema import Base, utcnow
from .values import NotFound


class WorkspaceImage(Base):
    """One uploaded picture of a workspace."""

    __tablename__ = "workspace_images"
    __table_args__ = (UniqueConstraint("workspace_id", "path"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    path: Mapped[str] = mapped_column(String(200))
    media_type: Mapped[str] = mapped_column(String(40))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    width: Mapped[int] = mapped_column()
    height: Mapped[int] = mapped_column()
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


@dataclass(frozen=True)
class StoredImage:
    path: str
    media_type: str
    data: bytes
    width: int
    height: int


class ImagesStore(StoreBase):
    def save_image(
        self, workspace_id: int, image: StoredImage, user_id: int | None = None
    ) -> StoredImage:
        """Keep ``image`` under its path (the same path again: the stored one is kept, since a
        path names its content)."""
        with self.session() as session:
            found = session.scalar(
                select(WorkspaceImage).where(
                    WorkspaceImage.workspace_id == workspace_id, WorkspaceImage.path == image.path
                )
            )
            if found is None:
                session.add(
                    WorkspaceImage(
                        workspace_id=workspace_id, path=image.path, media_type=image.media_type,
                        data=image.data, width=image.width, height=image.height,
                        created_by=user_id,
                    )
                )  # fmt: skip
                session.commit()
        return image

    def image(self, workspace_id: int, path: str) -> StoredImage:
        with self.session() as session:
            row = session.scalar(
                select(WorkspaceImage).where(
                    WorkspaceImage.workspace_id == workspace_id, WorkspaceImage.path == path
                )
            )
            if row is None:
                raise NotFound(f"no image {path!r} in this workspace")
            return StoredImage(row.path, row.media_type, row.data, row.width, row.height)

    def images(self, workspace_id: int, paths: set[str]) -> dict[str, bytes]:
        """The stored bytes of those of ``paths`` the workspace has."""
        if not paths:
            return {}
        with self.session() as session:
            rows = session.execute(
                select(WorkspaceImage.path, WorkspaceImage.data).where(
                    WorkspaceImage.workspace_id == workspace_id,
                    WorkspaceImage.path.in_(sorted(paths)),
                )
            ).all()
            return {path: data for path, data in rows}
