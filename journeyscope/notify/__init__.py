"""Telling people what happened: in the app, by e-mail (SMTP) and by webhook.

The one entry point is :func:`notify`::

    from journeyscope.notify import notify
    notify(store, settings, recipients=[account ids], kind="mention",
           subject="Ana mentioned you on Booking", body="…", url="/maps/3", map_id=3)

``store`` is the workspace :class:`~journeyscope.store.Store`; ``settings`` is anything with
the attributes of :class:`NotifySettings` — the web app's ``Settings`` has them all, so pass
``request.app.state.settings``. ``url`` is a path in the workspace (``/maps/3``) or a full URL;
e-mails and the webhook turn a path into a full link with ``settings.public_url``.

What happens:

1. every recipient (account id; unknown ids and repeats are skipped) gets an unread
   notification in the app (the bell in the top bar, the page ``/notifications``);
2. recipients whose digest setting is ``immediately`` (the default) get an e-mail now when
   ``settings.smtp_host`` is set; those on ``daily`` get one digest a day from
   :func:`send_pending` (the server's scheduler calls it);
3. when ``settings.webhook_url`` is set, one Slack-compatible JSON POST (``{"text": …}``)
   announces it (once, not per recipient).

Delivery failures never raise: the notification stays in the app, an e-mail not sent is
retried by the next :func:`send_pending`, and the :class:`Delivery` says what went wrong.
Subjects and bodies are written by the caller, in words for people (the caller picks the
language; :func:`group_by_language` helps sending each person theirs).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field

from ..store import NotificationInfo, Store, UserInfo
from .email import EmailMessageText, send_emails
from .settings import NotifyConfig, NotifySettings, full_link
from .webhook import post_webhook, webhook_payload

__all__ = [
    "Delivery",
    "NotifyConfig",
    "NotifySettings",
    "group_by_language",
    "notify",
    "send_pending",
    "webhook_payload",
]

log = logging.getLogger(__name__)

#: The most notifications one daily digest lists (the rest are counted).
DIGEST_ITEMS = 50


@dataclass
class Delivery:
    """What :func:`notify` or :func:`send_pending` did."""

    notifications: list[NotificationInfo] = field(default_factory=list)
    emailed: list[int] = field(default_factory=list)  # account ids that got an e-mail
    webhook_sent: bool = False
    errors: list[str] = field(default_factory=list)


def notify(
    store: Store,
    settings: NotifyConfig,
    recipients: Iterable[int],
    kind: str,
    subject: str,
    body: str = "",
    url: str = "",
    map_id: int | None = None,
    *,
    webhook: bool = True,
) -> Delivery:
    """Tell ``recipients`` (account ids) about one thing: in the app, by e-mail now (or in
    tomorrow's digest) and once by webhook. Never raises for a failed delivery."""
    notes = store.add_notifications(recipients, kind, subject, body, url, map_id)
    delivery = Delivery(notifications=notes)
    immediate = [n for n in notes if _wants_now(store, n.user_id)]
    _email(store, settings, immediate, delivery)
    if webhook and settings.webhook_url:
        try:
            post_webhook(settings, subject, body, full_link(settings, url))
            delivery.webhook_sent = True
        except Exception as error:  # a receiver down must not lose the notification
            log.warning("webhook to %s failed: %s", settings.webhook_url, error)
            delivery.errors.append(f"webhook: {error}")
    return delivery


def send_pending(store: Store, settings: NotifyConfig, now: dt.datetime | None = None) -> Delivery:
    """E-mail what is due: a digest to each person on ``daily`` whose last digest is a day
    old (or who never had one) and has news; and any immediate e-mail that failed before."""
    now = now or dt.datetime.now(dt.UTC)
    delivery = Delivery()
    if not settings.smtp_host:
        return delivery
    for user_id in store.digest_users():
        last = store.preferences(user_id).last_digest_at
        if last is not None and now - last < dt.timedelta(days=1):
            continue
        pending = store.unsent_notifications(user_id)
        if pending and _send_digest(store, settings, store.get_user(user_id), pending, delivery):
            store.set_preferences(user_id, last_digest_at=now)
    retry = [
        n
        for user_id in store.users_with_unsent()
        if _wants_now(store, user_id)
        for n in store.unsent_notifications(user_id)
    ]
    _email(store, settings, retry, delivery)
    return delivery


def group_by_language(store: Store, recipients: Iterable[int]) -> dict[str, list[int]]:
    """The recipients by their language (``en``, ``ru``, ``he``, ``pl``), to word each
    group's notification in its own language."""
    groups: dict[str, list[int]] = {}
    for user_id in sorted(set(recipients)):
        try:
            user = store.get_user(user_id)
        except Exception:  # an account deleted meanwhile hears nothing
            continue
        groups.setdefault(user.language, []).append(user_id)
    return groups


def _wants_now(store: Store, user_id: int) -> bool:
    prefs = store.preferences(user_id)
    return prefs.email and prefs.digest == "immediately"


def _email(
    store: Store, settings: NotifyConfig, notes: list[NotificationInfo], delivery: Delivery
) -> None:
    if not settings.smtp_host or not notes:
        return
    messages = []
    for note in notes:
        user = store.get_user(note.user_id)
        text = note.body + (f"\n\n{full_link(settings, note.url)}" if note.url else "")
        messages.append(
            EmailMessageText(user.id, user.email, user.name, note.subject, text, [note.id])
        )
    _deliver(store, settings, messages, delivery)


def _send_digest(
    store: Store,
    settings: NotifyConfig,
    user: UserInfo,
    pending: list[NotificationInfo],
    delivery: Delivery,
) -> bool:
    shown = pending[-DIGEST_ITEMS:]
    lines = []
    for note in shown:
        lines.append(f"• {note.subject}")
        if note.body:
            lines.append(f"  {note.body}")
        if note.url:
            lines.append(f"  {full_link(settings, note.url)}")
    if len(pending) > len(shown):
        lines.append(f"… +{len(pending) - len(shown)}")
    subject = f"Journeyscope: {len(pending)} ({pending[-1].subject})"
    message = EmailMessageText(
        user.id, user.email, user.name, subject, "\n".join(lines), [n.id for n in pending]
    )
    return _deliver(store, settings, [message], delivery)


def _deliver(
    store: Store, settings: NotifyConfig, messages: list[EmailMessageText], delivery: Delivery
) -> bool:
    try:
        send_emails(settings, messages)
    except Exception as error:  # kept unsent: the next send_pending tries again
        log.warning("e-mail through %s failed: %s", settings.smtp_host, error)
        delivery.errors.append(f"e-mail: {error}")
        return False
    store.mark_emailed([i for m in messages for i in m.notification_ids])
    delivery.emailed.extend(m.user_id for m in messages)
    return True
