"""How one workspace server is set up: database, data folder, secrets and limits."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from ipaddress import IPv4Network, IPv6Network, ip_network
from pathlib import Path
from typing import Any

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
    #: Largest body of any other request (JSON, YAML, forms), in bytes; larger get HTTP 413.
    max_body_bytes: int = 4 * 1024 * 1024
    #: Failed password checks allowed per email and address within the window, then HTTP 429.
    login_max_failures: int = 5
    #: Failed password checks allowed per account (from any address) within the window.
    login_account_max_failures: int = 20
    login_window_minutes: float = 15
    #: Addresses (or networks, e.g. ``10.0.0.0/8``) of proxies whose X-Forwarded-For header
    #: is believed; empty (the default): the address of the connection is the client's.
    trusted_proxies: tuple[str, ...] = ()
    #: Days an uploaded data-source file is kept (then deleted with its period); analyses
    #: made from it stay.
    source_retention_days: float = 365
    #: Threads that run evidence analyses.
    analysis_workers: int = 1
    #: Threads that serve requests; the database pool has a connection for each of them.
    request_threads: int = 20
    #: Seconds a request waits for a free database connection before HTTP 503.
    database_timeout: float = 10
    #: Session lifetime in seconds.
    session_max_age: int = 14 * 24 * 3600
    #: Days an API token is valid unless its maker asks otherwise, and the most they may ask.
    token_days: float = 90
    token_max_days: float = 366
    # --- notifications (journeyscope.notify) and the scheduler ---------------------------
    #: The address people open the workspace at; links in e-mails and webhooks start with it.
    public_url: str = "http://localhost:8000"
    #: SMTP server for e-mail notifications; None (the default): notifications stay in the app.
    smtp_host: str | None = None
    smtp_port: int = 587
    #: The sender of notification e-mails.
    smtp_from: str = "journeyscope@localhost"
    #: ``starttls`` (port 587), ``ssl`` (port 465) or ``none`` (a relay on a trusted network).
    smtp_security: str = "starttls"
    smtp_user: str | None = None
    smtp_password: str | None = None
    smtp_timeout: float = 10
    #: Slack-compatible incoming-webhook URL told of every notification; None: no webhook.
    webhook_url: str | None = None
    webhook_timeout: float = 10
    #: Seconds between the scheduler's rounds (map status re-checked, digests sent); 0: off.
    schedule_seconds: float = 900
    #: Read-only share links: requests allowed per link (and per address) within a minute.
    share_rate_per_minute: int = 60
    # --- server-side connections of data sources (set by the server's admin only) ---------
    #: Folders whose DuckDB files and Parquet folders a workspace owner may connect as a data
    #: source (a path must lie inside one after symbolic links are followed); empty (the
    #: default): file connections are off. Env: ``JOURNEYSCOPE_CONNECTION_PATHS``.
    connection_paths: tuple[Path, ...] = ()
    #: Databases a workspace owner may connect, by name: ``{name: PostgreSQL URL}``. People
    #: pick a name; the URL (and its password) never leaves the server. Empty (the default):
    #: database connections are off. Env: ``JOURNEYSCOPE_CONNECTION_DATABASES``.
    connection_databases: dict[str, str] = field(default_factory=dict, repr=False)

    def pool_options(self) -> dict[str, Any]:
        """Engine options: a connection per request thread and analysis worker, plus one for
        the event loop (uploads), so no request waits for another's connection."""
        return {
            "pool_size": self.request_threads + self.analysis_workers + 1,
            "max_overflow": 2,
            "pool_timeout": self.database_timeout,
        }

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

    def resolved_trusted_proxies(self) -> list[IPv4Network | IPv6Network]:
        return [ip_network(item.strip(), strict=False) for item in self.trusted_proxies]


PATHS_ENV = "JOURNEYSCOPE_CONNECTION_PATHS"
DATABASES_ENV = "JOURNEYSCOPE_CONNECTION_DATABASES"


def connections_from_env(environ: Mapping[str, str]) -> dict[str, Any]:
    """``connection_paths`` and ``connection_databases`` from the environment: folders
    separated by ``os.pathsep`` (``:``), databases as ``NAME=URL`` entries separated by spaces
    or new lines. A database entry without a name or a ``postgresql://`` URL is refused."""
    import os

    paths = tuple(Path(p) for p in environ.get(PATHS_ENV, "").split(os.pathsep) if p.strip())
    databases: dict[str, str] = {}
    for entry in environ.get(DATABASES_ENV, "").split():
        name, sep, url = entry.partition("=")
        if not sep or not name or not url.startswith(("postgresql://", "postgresql+psycopg://")):
            raise ValueError(f"{DATABASES_ENV}: write each database as NAME=postgresql://...")
        databases[name] = url
    return {"connection_paths": paths, "connection_databases": databases}
