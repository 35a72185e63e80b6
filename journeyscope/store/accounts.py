"""Users, workspaces, memberships, invites, API tokens and login attempts."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ._base import StoreBase, aware
from .schema import ROLES, ApiToken, Invite, LoginAttempt, Membership, User, Workspace, utcnow
from .values import (
    Conflict,
    InviteInfo,
    MemberInfo,
    NotFound,
    StoreError,
    TokenInfo,
    UserInfo,
    WorkspaceInfo,
)

_HASHER = PasswordHasher()
TOKEN_PREFIX = "jst_"


def hash_secret(secret: str) -> str:
    """Tokens are long random strings, so a plain SHA-256 is enough to store them safely."""
    return hashlib.sha256(secret.encode()).hexdigest()


def _user(row: User) -> UserInfo:
    return UserInfo(row.id, row.email, row.name, row.language)


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
        """Add the user to the workspace with ``role``, or change the role they have."""
        _check_role(role)
        with self.session() as session:
            row = session.scalar(
                select(Membership).where(
                    Membership.workspace_id == workspace_id, Membership.user_id == user_id
                )
            )
            if row is None:
                session.add(Membership(workspace_id=workspace_id, user_id=user_id, role=role))
            else:
                row.role = role
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
        """Join the invite's workspace: a new user sets a password, an existing one proves it."""
        invite = self.invite_for(token)
        with self.session() as session:
            existing = session.scalar(select(User).where(User.email == invite.email))
        if existing is None:
            user = self.create_user(invite.email, name, password)
        else:
            found = self.authenticate(invite.email, password)
            if found is None:
                raise Conflict("this email already has an account: enter its password to join")
            user = found
        self.set_role(invite.workspace_id, user.id, invite.role)
        with self.session() as session:
            row = session.get(Invite, invite.id)
            assert row is not None
            row.accepted_at = utcnow()
            session.commit()
        return user

    def invites(self, workspace_id: int) -> list[InviteInfo]:
        with self.session() as session:
            rows = session.scalars(
                select(Invite).where(Invite.workspace_id == workspace_id).order_by(Invite.id)
            ).all()
            return [self._invite(session, row) for row in rows]

    # --- API tokens -----------------------------------------------------------------------
    def create_token(self, user_id: int, name: str) -> tuple[TokenInfo, str]:
        """A new API token; the secret is returned once and only its hash is kept."""
        secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
        with self.session() as session:
            row = ApiToken(user_id=user_id, name=name or "token", token_hash=hash_secret(secret))
            session.add(row)
            session.commit()
            return TokenInfo(row.id, row.name, aware(row.created_at), None), secret

    def user_for_token(self, secret: str) -> UserInfo | None:
        with self.session() as session:
            row = session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_secret(secret)))
            if row is None:
                return None
            row.last_used_at = utcnow()
            user = session.get(User, row.user_id)
            session.commit()
            return _user(user) if user else None

    def tokens(self, user_id: int) -> list[TokenInfo]:
        with self.session() as session:
            rows = session.scalars(
                select(ApiToken).where(ApiToken.user_id == user_id).order_by(ApiToken.id)
            ).all()
            return [
                TokenInfo(
                    r.id, r.name, aware(r.created_at), r.last_used_at and aware(r.last_used_at)
                )
                for r in rows
            ]

    def revoke_token(self, user_id: int, token_id: int) -> None:
        with self.session() as session:
            result = session.execute(
                delete(ApiToken).where(ApiToken.id == token_id, ApiToken.user_id == user_id)
            )
            session.commit()
            if not result.rowcount:  # type: ignore[attr-defined]
                raise NotFound(f"no token {token_id}")

    # --- login attempts (rate limiting) ---------------------------------------------------
    def record_login(self, key: str, succeeded: bool) -> None:
        with self.session() as session:
            session.add(LoginAttempt(key=key, succeeded=succeeded))
            session.commit()

    def recent_failures(self, key: str, window: dt.timedelta) -> int:
        """Failed sign-ins for ``key`` within ``window``, since its last success."""
        since = utcnow() - window
        with self.session() as session:
            last_ok = session.scalar(
                select(func.max(LoginAttempt.at)).where(
                    LoginAttempt.key == key, LoginAttempt.succeeded.is_(True)
                )
            )
            if last_ok is not None and aware(last_ok) > since:
                since = aware(last_ok)
            return (
                session.scalar(
                    select(func.count(LoginAttempt.id)).where(
                        LoginAttempt.key == key,
                        LoginAttempt.succeeded.is_(False),
                        LoginAttempt.at > since,
                    )
                )
                or 0
            )
