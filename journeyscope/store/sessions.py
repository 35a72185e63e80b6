"""Signed-in browsers (server-side sessions), API tokens (scope, expiry) and sign-in attempts."""

from __future__ import annotations

import datetime as dt
import logging
import secrets

from sqlalchemy import Engine, delete, func, or_, select, update
from sqlalchemy.exc import DBAPIError, TimeoutError
from sqlalchemy.orm import Session

from ._base import StoreBase, aware
from .db import BUSY_TIMEOUT_MS
from .schema import TOKEN_SCOPES, ApiToken, LoginAttempt, User, WebSession, utcnow
from .values import NotFound, StoreError, TokenAuth, TokenInfo, UserInfo

log = logging.getLogger(__name__)

TOKEN_PREFIX = "jst_"
#: ``last_used_at`` of a token is written at most this often (a write per request would make
#: every API call compete for the database's write lock).
TOUCH_EVERY = dt.timedelta(minutes=1)


def hash_secret(secret: str) -> str:
    """Tokens are long random strings, so a plain SHA-256 is enough to store them safely."""
    import hashlib

    return hashlib.sha256(secret.encode()).hexdigest()


def user_info(row: User) -> UserInfo:
    return UserInfo(row.id, row.email, row.name, row.language)


def end_sessions(session: Session, user_id: int, *, tokens: bool = False) -> None:
    """Inside a transaction: end every web session of the user (and their API tokens)."""
    session.execute(delete(WebSession).where(WebSession.user_id == user_id))
    if tokens:
        session.execute(delete(ApiToken).where(ApiToken.user_id == user_id))


def _token_info(row: ApiToken) -> TokenInfo:
    return TokenInfo(
        row.id,
        row.name,
        aware(row.created_at),
        row.last_used_at and aware(row.last_used_at),
        row.scope,
        row.expires_at and aware(row.expires_at),
    )


def touch_quietly(engine: Engine, token_id: int, now: dt.datetime) -> None:
    """Note that a token was used, if the database can take the write right now.

    Best effort: a short lock wait, and a busy database (or no free connection) only means the
    time is not noted this once; the request that used the token goes on."""
    statement = (
        update(ApiToken)
        .where(
            ApiToken.id == token_id,
            or_(ApiToken.last_used_at.is_(None), ApiToken.last_used_at < now - TOUCH_EVERY),
        )
        .values(last_used_at=now)
    )
    sqlite = engine.dialect.name == "sqlite"
    try:
        with engine.connect() as connection:
            if sqlite:
                connection.exec_driver_sql("PRAGMA busy_timeout=100")
            else:
                connection.exec_driver_sql("SET LOCAL lock_timeout = '100ms'")
            try:
                connection.execute(statement)
                connection.commit()
            finally:
                connection.rollback()
                if sqlite:
                    connection.exec_driver_sql(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    except (DBAPIError, TimeoutError) as error:
        log.debug("token %s: last use not noted (%s)", token_id, error)


class SessionsStore(StoreBase):
    # --- web sessions ---------------------------------------------------------------------
    def start_session(self, user_id: int, max_age: float) -> str:
        """A new signed-in session of the user; returns its secret (only the hash is kept)."""
        secret = secrets.token_urlsafe(32)
        now = utcnow()
        with self.session() as session:
            session.execute(
                delete(WebSession).where(WebSession.user_id == user_id, WebSession.expires_at < now)
            )
            session.add(
                WebSession(
                    user_id=user_id,
                    token_hash=hash_secret(secret),
                    expires_at=now + dt.timedelta(seconds=max_age),
                )
            )
            session.commit()
        return secret

    def user_for_session(self, secret: str) -> UserInfo | None:
        """The user of a live session; None once it was ended or has expired."""
        with self.session() as session:
            found = session.execute(
                select(WebSession.expires_at, User)
                .join(User, User.id == WebSession.user_id)
                .where(WebSession.token_hash == hash_secret(secret))
            ).first()
            if found is None or aware(found[0]) <= utcnow():
                return None
            return user_info(found[1])

    def end_session(self, secret: str) -> None:
        with self.session() as session:
            session.execute(delete(WebSession).where(WebSession.token_hash == hash_secret(secret)))
            session.commit()

    def end_sessions(self, user_id: int, *, tokens: bool = False) -> None:
        """Sign the user out everywhere (and revoke their API tokens with ``tokens``)."""
        with self.session() as session:
            end_sessions(session, user_id, tokens=tokens)
            session.commit()

    def session_count(self, user_id: int) -> int:
        with self.session() as session:
            query = select(func.count(WebSession.id)).where(WebSession.user_id == user_id)
            return session.scalar(query) or 0

    # --- API tokens -----------------------------------------------------------------------
    def create_token(
        self, user_id: int, name: str, scope: str = "read", days: float = 90
    ) -> tuple[TokenInfo, str]:
        """A new API token valid for ``days``; the secret is returned once, only its hash is
        kept. A ``read`` token may only read; a ``write`` token may do what its user may."""
        if scope not in TOKEN_SCOPES:
            raise StoreError(f"unknown scope {scope!r}; use one of {', '.join(TOKEN_SCOPES)}")
        if not days > 0:
            raise StoreError("a token must be valid for some time")
        secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
        with self.session() as session:
            row = ApiToken(
                user_id=user_id,
                name=name or "token",
                token_hash=hash_secret(secret),
                scope=scope,
                expires_at=utcnow() + dt.timedelta(days=days),
            )
            session.add(row)
            session.commit()
            return _token_info(row), secret

    def user_for_token(self, secret: str) -> TokenAuth | None:
        """Who a token speaks for; None when it is unknown, revoked or expired."""
        now = utcnow()
        with self.session() as session:
            found = session.execute(
                select(ApiToken, User)
                .join(User, User.id == ApiToken.user_id)
                .where(ApiToken.token_hash == hash_secret(secret))
            ).first()
            if found is None:
                return None
            token, user = found
            if token.expires_at is not None and aware(token.expires_at) <= now:
                return None
            used = token.last_used_at and aware(token.last_used_at)
            auth = TokenAuth(user_info(user), token.id, token.scope)
        if used is None or used < now - TOUCH_EVERY:
            touch_quietly(self.engine, auth.token_id, now)
        return auth

    def tokens(self, user_id: int) -> list[TokenInfo]:
        with self.session() as session:
            rows = session.scalars(
                select(ApiToken).where(ApiToken.user_id == user_id).order_by(ApiToken.id)
            ).all()
            return [_token_info(r) for r in rows]

    def revoke_token(self, user_id: int, token_id: int) -> None:
        with self.session() as session:
            result = session.execute(
                delete(ApiToken).where(ApiToken.id == token_id, ApiToken.user_id == user_id)
            )
            session.commit()
            if not result.rowcount:  # type: ignore[attr-defined]
                raise NotFound(f"no token {token_id}")

    # --- password checks (rate limiting) --------------------------------------------------
    def record_login(self, key: str, succeeded: bool) -> None:
        with self.session() as session:
            session.add(LoginAttempt(key=key, succeeded=succeeded))
            session.commit()

    def recent_failures(self, key: str, window: dt.timedelta) -> int:
        """Failed password checks for ``key`` within ``window``, since its last success."""
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
