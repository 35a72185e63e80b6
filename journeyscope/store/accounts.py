"""Users (passwords), workspaces, memberships and invites."""

from __future__ import annotations

import datetime as dt
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ._base import StoreBase, aware, check_text
from .schema import ROLES, Invite, Membership, User, Workspace, utcnow
from .sessions import end_sessions, hash_secret
from .sessions import user_info as _user
from .values import (
    Conflict,
    InviteInfo,
    MemberInfo,
    NotFound,
    StoreError,
    UserInfo,
    WorkspaceInfo,
)

_HASHER = PasswordHasher()
#: Longest password accepted (argon2 takes any length; this keeps a request's work bounded).
MAX_PASSWORD = 1024


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise StoreError(f"unknown role {role!r}; use one of {', '.join(ROLES)}")


class AccountsStore(StoreBase):
    # --- users ----------------------------------------------------------------------------
    def create_user(self, email: str, name: str, password: str, language: str = "en") -> UserInfo:
        """A new user with an argon2 hash of ``password``; Conflict if the email is taken."""
        email = email.strip().lower()
        if not email or not password:
            raise StoreError("a user needs an email and a password")
        check_text(email, "email", 320)
        check_text(password, "password", MAX_PASSWORD)
        row = User(email=email, name=name.strip() or email, language=language)
        row.password_hash = _HASHER.hash(password)
        with self.session() as session:
            session.add(row)
            try:
                session.commit()
            except IntegrityError:
                raise Conflict(f"a user with email {email!r} already exists") from None
            return _user(row)

    def authenticate(self, email: str, password: str) -> UserInfo | None:
        """The user if ``password`` is right, else None (same answer for unknown emails)."""
        check_text(email, "email", 320)
        check_text(password, "password", MAX_PASSWORD)
        with self.session() as session:
            row = session.scalar(select(User).where(User.email == email.strip().lower()))
            if row is None:
                _HASHER.hash(password)  # spend the same time as a real check
                return None
            try:
                _HASHER.verify(row.password_hash, password)
            except (VerificationError, InvalidHashError):
                return None
            if _HASHER.check_needs_rehash(row.password_hash):
                row.password_hash = _HASHER.hash(password)
                session.commit()
            return _user(row)

    def account_exists(self, email: str) -> bool:
        with self.session() as session:
            query = select(User.id).where(User.email == email.strip().lower())
            return session.scalar(query) is not None

    def change_password(self, user_id: int, current: str, new: str) -> bool:
        """Set a new password if ``current`` is right (False otherwise). Every session and API
        token of the user ends: whoever had the old password has nothing left."""
        check_text(new, "password", MAX_PASSWORD)
        user = self.get_user(user_id)
        if self.authenticate(user.email, current) is None:
            return False
        with self.session() as session:
            row = session.get(User, user_id)
            if row is None:
                raise NotFound(f"no user {user_id}")
            row.password_hash = _HASHER.hash(new)
            end_sessions(session, user_id, tokens=True)
            session.commit()
        return True

    def get_user(self, user_id: int) -> UserInfo:
        with self.session() as session:
            row = session.get(User, user_id)
            if row is None:
                raise NotFound(f"no user {user_id}")
            return _user(row)

    def set_language(self, user_id: int, language: str) -> None:
        with self.session() as session:
            row = session.get(User, user_id)
            if row is None:
                raise NotFound(f"no user {user_id}")
            row.language = language
            session.commit()

    def count_users(self) -> int:
        with self.session() as session:
            return session.scalar(select(func.count(User.id))) or 0

    # --- workspaces and roles -------------------------------------------------------------
    def create_workspace(self, name: str, owner_id: int) -> WorkspaceInfo:
        with self.session() as session:
            workspace = Workspace(name=name)
            session.add(workspace)
            session.flush()
            session.add(Membership(workspace_id=workspace.id, user_id=owner_id, role="owner"))
            session.commit()
            return WorkspaceInfo(workspace.id, workspace.name, "owner")

    def set_role(self, workspace_id: int, user_id: int, role: str) -> None:
        """Add the user to the workspace with ``role``, or change the role they have (which
        ends their web sessions: they sign in again and see what the new role allows)."""
        _check_role(role)
        with self.session() as session:
            row = session.scalar(
                select(Membership).where(
                    Membership.workspace_id == workspace_id, Membership.user_id == user_id
                )
            )
            if row is None:
                session.add(Membership(workspace_id=workspace_id, user_id=user_id, role=role))
            elif row.role != role:
                row.role = role
                end_sessions(session, user_id)
            session.commit()

    def remove_member(self, workspace_id: int, user_id: int) -> None:
        """Take the user out of the workspace; their sessions and API tokens end at once."""
        with self.session() as session:
            result = session.execute(
                delete(Membership).where(
                    Membership.workspace_id == workspace_id, Membership.user_id == user_id
                )
            )
            if not result.rowcount:  # type: ignore[attr-defined]
                raise NotFound(f"user {user_id} is not a member of workspace {workspace_id}")
            end_sessions(session, user_id, tokens=True)
            session.commit()

    def role_of(self, workspace_id: int, user_id: int) -> str | None:
        with self.session() as session:
            return session.scalar(
                select(Membership.role).where(
                    Membership.workspace_id == workspace_id, Membership.user_id == user_id
                )
            )

    def workspaces_of(self, user_id: int) -> list[WorkspaceInfo]:
        with self.session() as session:
            rows = session.execute(
                select(Workspace, Membership.role)
                .join(Membership, Membership.workspace_id == Workspace.id)
                .where(Membership.user_id == user_id)
                .order_by(Workspace.id)
            ).all()
            return [WorkspaceInfo(w.id, w.name, role) for w, role in rows]

    def members(self, workspace_id: int) -> list[MemberInfo]:
        with self.session() as session:
            rows = session.execute(
                select(User, Membership.role)
                .join(Membership, Membership.user_id == User.id)
                .where(Membership.workspace_id == workspace_id)
                .order_by(User.email)
            ).all()
            return [MemberInfo(_user(user), role) for user, role in rows]

    # --- invites --------------------------------------------------------------------------
    def create_invite(
        self, workspace_id: int, email: str, role: str, created_by: int | None, days: float = 7
    ) -> tuple[InviteInfo, str]:
        """An invite and its secret link token (only the token's hash is stored)."""
        _check_role(role)
        token = secrets.token_urlsafe(32)
        with self.session() as session:
            row = Invite(
                workspace_id=workspace_id,
                email=email.strip().lower(),
                role=role,
                token_hash=hash_secret(token),
                created_by=created_by,
                expires_at=utcnow() + dt.timedelta(days=days),
            )
            session.add(row)
            session.commit()
            return self._invite(session, row), token

    @staticmethod
    def _invite(session: Session, row: Invite) -> InviteInfo:
        workspace = session.get(Workspace, row.workspace_id)
        name = workspace.name if workspace else ""
        return InviteInfo(
            row.id,
            row.workspace_id,
            name,
            row.email,
            row.role,
            aware(row.expires_at),
            row.accepted_at is not None,
        )

    def invite_for(self, token: str) -> InviteInfo:
        """The open invite behind ``token``; NotFound if unknown, used or expired."""
        with self.session() as session:
            row = session.scalar(select(Invite).where(Invite.token_hash == hash_secret(token)))
            if row is None or row.accepted_at is not None or aware(row.expires_at) < utcnow():
                raise NotFound("this invite link is unknown, used or expired")
            return self._invite(session, row)

    def accept_invite(self, token: str, name: str, password: str) -> UserInfo:
        """Join the invite's workspace as a new user with ``password``. An email that already
        has an account joins with :meth:`join_invite` while signed in (Conflict here), so the
        invite page never checks an existing password."""
        invite = self.invite_for(token)
        if self.account_exists(invite.email):
            raise Conflict("this email already has an account: sign in to join")
        user = self.create_user(invite.email, name, password)
        self._use_invite(invite, user.id)
        return user

    def join_invite(self, token: str, user_id: int) -> InviteInfo:
        """The signed-in user ``user_id`` joins with an invite made out to their email."""
        invite = self.invite_for(token)
        if self.get_user(user_id).email != invite.email:
            raise Conflict(f"this invite is for {invite.email}")
        self._use_invite(invite, user_id)
        return invite

    def _use_invite(self, invite: InviteInfo, user_id: int) -> None:
        with self.session() as session:  # one statement: two racing accepts cannot both win
            result = session.execute(
                update(Invite)
                .where(Invite.id == invite.id, Invite.accepted_at.is_(None))
                .values(accepted_at=utcnow())
            )
            session.commit()
        if not result.rowcount:  # type: ignore[attr-defined]
            raise NotFound("this invite link is unknown, used or expired")
        self.set_role(invite.workspace_id, user_id, invite.role)

    def invites(self, workspace_id: int) -> list[InviteInfo]:
        with self.session() as session:
            rows = session.scalars(
                select(Invite).where(Invite.workspace_id == workspace_id).order_by(Invite.id)
            ).all()
            return [self._invite(session, row) for row in rows]
