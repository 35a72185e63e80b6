"""How one workspace server is set up: database, data folder, secrets and limits."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path

from ..formats import atomic_write_text
from ..store import sqlite_url


@dataclass
class Settings:
    """Settings of :func:`journeyscope.web.create_app`; every field has a safe default."""

    #: SQLAlchemy URL; default: a SQLite file ``journeyscope.db`` in ``data_dir``.
    database_url: str | None = None
    #: Where uploads, quarantine files and the generated secret key live.
    data_dir: Path = Path("journeyscope-data")
    #: Key that signs session cookies; default: generated once and kept in ``data_dir``.
    secret_key: str | None = None
    #: Send cookies only over HTTPS (turn on behind TLS).
    secure_cookies: bool = False
    #: Largest event file accepted (bytes); larger uploads get HTTP 413.
    max_upload_bytes: int = 50 * 1024 * 1024
    #: Largest map file accepted (bytes).
    max_map_bytes: int = 2 * 1024 * 1024
    #: Failed sign-ins allowed per email and address within the window, then HTTP 429.
    login_max_failures: int = 5
    login_window_minutes: float = 15
    #: Threads that run evidence analyses.
    analysis_workers: int = 1
    #: Session lifetime in seconds.
    session_max_age: int = 14 * 24 * 3600

    def resolved_database_url(self) -> str:
        return self.database_url or sqlite_url(Path(self.data_dir) / "journeyscope.db")

    def resolved_secret_key(self) -> str:
        if self.secret_key:
            return self.secret_key
        path = Path(self.data_dir) / "secret_key"
        if not path.exists():
            atomic_write_text(path, secrets.token_urlsafe(48))
            path.chmod(0o600)
        return path.read_text(encoding="utf-8").strip()
