"""A Slack-compatible incoming-webhook POST: JSON with a ``text`` field (Slack, Mattermost,
Rocket.Chat and Microsoft Teams' Slack-compatible connectors read it)."""

from __future__ import annotations

import json
import urllib.request
from typing import Any

from .settings import NotifyConfig

__all__ = ["post_webhook", "webhook_payload"]


def _escape(text: str) -> str:
    # Slack's mrkdwn reads <...> as links and mentions: escape them so text stays text
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def webhook_payload(subject: str, body: str, link: str) -> dict[str, Any]:
    """The JSON body: ``text`` (subject, body, link) for every receiver, plus Slack blocks.

    >>> webhook_payload("Map stale", "A new event <b>", "http://x/maps/1")["text"]
    '*Map stale*\\nA new event &lt;b&gt;\\n<http://x/maps/1|http://x/maps/1>'
    """
    parts = [f"*{_escape(subject)}*"]
    if body:
        parts.append(_escape(body))
    if link:
        parts.append(f"<{link}|{_escape(link)}>")
    text = "\n".join(parts)
    return {"text": text, "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": text}}]}


def post_webhook(settings: NotifyConfig, subject: str, body: str, link: str) -> int:
    """POST the payload to ``settings.webhook_url``; the HTTP status, raises on failure."""
    url = settings.webhook_url
    if not url or not url.startswith(("http://", "https://")):
        raise ValueError(f"the webhook URL must start with http:// or https://, not {url!r}")
    data = json.dumps(webhook_payload(subject, body, link), ensure_ascii=False).encode()
    request = urllib.request.Request(
        url, data=data, method="POST", headers={"Content-Type": "application/json; charset=utf-8"}
    )
    with urllib.request.urlopen(request, timeout=settings.webhook_timeout) as response:
        return int(response.status)
