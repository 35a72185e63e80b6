"""Where notifications go: the SMTP server, the webhook, and the workspace's public address."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

__all__ = ["SMTP_SECURITY", "NotifyConfig", "NotifySettings", "full_link"]

#: How the SMTP connection is protected: ``starttls`` (upgrade a plain connection, port 587),
#: ``ssl`` (TLS from the start, port 465) or ``none`` (a relay on a trusted network).
SMTP_SECURITY = ("starttls", "ssl", "none")


class NotifyConfig(Protocol):
    """The settings :func:`journeyscope.notify.notify` reads (the web app's ``Settings`` has
    them all)."""

    smtp_host: str | None
    smtp_port: int
    smtp_from: str
    smtp_security: str
    smtp_user: str | None
    smtp_password: str | None
    smtp_timeout: float
    webhook_url: str | None
    webhook_timeout: float
    public_url: str


@dataclass
class NotifySettings:
    """Notification settings on their own (for scripts and tests); every field has a safe
    default: no e-mail, no webhook, notifications in the app only."""

    #: SMTP server; None (the default): no e-mail is sent.
    smtp_host: str | None = None
    smtp_port: int = 587
    #: The sender of every e-mail.
    smtp_from: str = "journeyscope@localhost"
    #: ``starttls``, ``ssl`` or ``none`` (see :data:`SMTP_SECURITY`).
    smtp_security: str = "starttls"
    smtp_user: str | None = None
    smtp_password: str | None = None
    smtp_timeout: float = 10
    #: A Slack-compatible incoming-webhook URL; None (the default): no webhook.
    webhook_url: str | None = None
    webhook_timeout: float = 10
    #: The address people open the workspace at; links in e-mails start with it.
    public_url: str = "http://localhost:8000"


def full_link(settings: NotifyConfig, url: str) -> str:
    """A workspace path (``/maps/3``) as a full link; full URLs and empty strings unchanged."""
    if not url or "://" in url:
        return url
    return settings.public_url.rstrip("/") + "/" + url.lstrip("/")
