"""E-mail over SMTP with the standard library: STARTTLS, TLS or plain, optional login."""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr, make_msgid

from .settings import SMTP_SECURITY, NotifyConfig

__all__ = ["EmailMessageText", "send_emails"]


@dataclass(frozen=True)
class EmailMessageText:
    """One plain-text e-mail to one account, and the notifications it carries."""

    user_id: int
    to: str
    name: str
    subject: str
    text: str
    notification_ids: list[int]


def _message(settings: NotifyConfig, item: EmailMessageText) -> EmailMessage:
    message = EmailMessage()
    message["From"] = settings.smtp_from
    message["To"] = formataddr((item.name, item.to))
    # a header cannot carry a line break: a subject with one would inject headers
    message["Subject"] = " ".join(item.subject.split())
    message["Message-ID"] = make_msgid(domain=settings.smtp_from.rpartition("@")[2] or None)
    message.set_content(item.text)
    return message


def send_emails(settings: NotifyConfig, items: list[EmailMessageText]) -> None:
    """Send ``items`` over one SMTP connection; raises on a connection or server error."""
    if not items or not settings.smtp_host:
        return
    if settings.smtp_security not in SMTP_SECURITY:
        raise ValueError(
            f"smtp_security is {settings.smtp_security!r}: use {', '.join(SMTP_SECURITY)}"
        )
    host, port, timeout = settings.smtp_host, settings.smtp_port, settings.smtp_timeout
    context = ssl.create_default_context()
    server: smtplib.SMTP
    if settings.smtp_security == "ssl":
        server = smtplib.SMTP_SSL(host, port, timeout=timeout, context=context)
    else:
        server = smtplib.SMTP(host, port, timeout=timeout)
    with server:
        if settings.smtp_security == "starttls":
            server.starttls(context=context)
        if settings.smtp_user:
            server.login(settings.smtp_user, settings.smtp_password or "")
        for item in items:
            server.send_message(_message(settings, item))
