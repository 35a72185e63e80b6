"""Notifications: in the app, by e-mail to a real SMTP server and by webhook to a real HTTP
receiver on loopback; digests, preferences, failures, and the scheduler's lease."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from journeyscope.formats import load_template
from journeyscope.notify import NotifySettings, notify, send_pending
from journeyscope.store import Store, make_engine, sqlite_url, upgrade

from .conftest import BACKENDS, free_port, postgres_schema
from .notify_servers import Inbox, Receiver, smtp_server


@pytest.fixture
def backend() -> str:
    """SQLite unless a test asks for both (``parametrize("backend", BACKENDS)``)."""
    return "sqlite"


@pytest.fixture
def store(backend: str, tmp_path: Path) -> Iterator[Store]:
    if backend == "sqlite":
        url = sqlite_url(tmp_path / "store.db")
        engine = make_engine(url)
        upgrade(engine)
        yield Store(engine)
        engine.dispose()
        return
    with postgres_schema() as url:
        engine = make_engine(url)
        upgrade(engine)
        yield Store(engine)
        engine.dispose()


def _team(store: Store) -> tuple[int, int, int, int]:
    """(map id, owner id, editor id, outsider id)."""
    owner = store.create_user("olga@example.com", "Olga", "s3cret-pass")
    editor = store.create_user("egor@example.com", "Egor", "s3cret-pass", language="ru")
    outsider = store.create_user("otto@example.com", "Otto", "s3cret-pass")
    workspace = store.create_workspace("Team", owner.id)
    store.set_role(workspace.id, editor.id, "editor")
    created = store.create_map(workspace.id, load_template("support-agent"), editor.id)
    return created.id, owner.id, editor.id, outsider.id


def _settings(inbox: Inbox | None = None, receiver: Receiver | None = None) -> NotifySettings:
    return NotifySettings(
        smtp_host=inbox.host if inbox else None,
        smtp_port=inbox.port if inbox else 25,
        smtp_security="none",
        smtp_from="maps@journeyscope.test",
        webhook_url=receiver.url if receiver else None,
        public_url="https://cx.example.com/",
    )


@pytest.mark.parametrize("backend", BACKENDS)
def test_notify_reaches_the_app_an_smtp_server_and_a_webhook(
    store: Store, inbox: Inbox, receiver: Receiver
) -> None:
    map_id, owner, editor, _ = _team(store)
    done = notify(
        store, _settings(inbox, receiver), recipients=[owner, editor, owner, 9999],
        kind="mention", subject="Egor mentioned you on Support <agent>",
        body="“Can you check the refund step?”", url=f"/maps/{map_id}", map_id=map_id,
    )  # fmt: skip
    assert sorted(n.user_id for n in done.notifications) == [owner, editor]  # 9999: no one
    assert sorted(done.emailed) == [owner, editor] and done.webhook_sent and not done.errors
    messages = inbox.wait(2)
    assert sorted(str(m["To"]) for m in messages) == [
        "Egor <egor@example.com>", "Olga <olga@example.com>"
    ]  # fmt: skip
    first = messages[0]
    assert first["From"] == "maps@journeyscope.test"
    assert first["Subject"] == "Egor mentioned you on Support <agent>"
    text = first.get_content()
    assert "“Can you check the refund step?”" in text
    assert f"https://cx.example.com/maps/{map_id}" in text
    (post,) = receiver.wait(1)
    assert post["text"] == (
        "*Egor mentioned you on Support &lt;agent&gt;*\n“Can you check the refund step?”\n"
        f"<https://cx.example.com/maps/{map_id}|https://cx.example.com/maps/{map_id}>"
    )
    assert post["blocks"][0]["text"]["text"] == post["text"]
    assert receiver.headers[0]["Content-Type"].startswith("application/json")
    # in the app: unread until read
    assert store.unread_count(owner) == 1
    (note,) = store.notifications(owner)
    assert (note.kind, note.url, note.read, note.emailed) == (
        "mention",
        f"/maps/{map_id}",
        False,
        True,
    )
    assert store.mark_read(owner) == 1 and store.unread_count(owner) == 0
    assert store.unread_count(editor) == 1  # another person's stay unread


def test_a_header_injection_in_the_subject_stays_in_the_subject(store: Store, inbox: Inbox) -> None:
    _, owner, _, _ = _team(store)
    notify(store, _settings(inbox), [owner], "mention", "Hi\r\nBcc: evil@example.com", "x")
    (message,) = inbox.wait(1)
    assert message["Bcc"] is None and message["Subject"] == "Hi Bcc: evil@example.com"
    assert inbox.envelopes[0][1] == ["olga@example.com"]


def test_daily_digest_collects_the_days_notifications_into_one_email(
    store: Store, inbox: Inbox
) -> None:
    _, owner, editor, _ = _team(store)
    store.set_preferences(owner, digest="daily")
    settings = _settings(inbox)
    for n in range(3):
        notify(store, settings, [owner, editor], "stale", f"Map {n} is stale", f"reason {n}")
    assert [str(m["To"]) for m in inbox.wait(3)] == ["Egor <egor@example.com>"] * 3
    now = dt.datetime.now(dt.UTC)
    digest = send_pending(store, settings, now)
    assert digest.emailed == [owner]
    message = inbox.wait(4)[3]
    assert str(message["To"]) == "Olga <olga@example.com>"
    body = message.get_content()
    assert all(f"Map {n} is stale" in body and f"reason {n}" in body for n in range(3))
    assert "(Map 2 is stale)" in str(message["Subject"])
    # nothing new within the day: no second digest; a day later with news: one more
    notify(store, settings, [owner], "stale", "Map 3 is stale")
    assert send_pending(store, settings, now + dt.timedelta(hours=2)).emailed == []
    assert send_pending(store, settings, now + dt.timedelta(days=1, minutes=1)).emailed == [owner]
    assert "Map 3 is stale" in inbox.wait(5)[4].get_content()
    assert len(inbox.messages) == 5


def test_a_failed_delivery_keeps_the_notification_and_is_retried(
    store: Store, receiver: Receiver
) -> None:
    _, owner, _, _ = _team(store)
    down = NotifySettings(
        smtp_host="127.0.0.1", smtp_port=free_port(), smtp_security="none",
        webhook_url=f"http://127.0.0.1:{free_port()}/hook", smtp_timeout=2, webhook_timeout=2,
    )  # fmt: skip
    done = notify(store, down, [owner], "mention", "Subject", "Body")
    assert not done.webhook_sent and not done.emailed
    assert [e.split(":")[0] for e in done.errors] == ["e-mail", "webhook"]
    assert store.unread_count(owner) == 1  # kept in the app
    with smtp_server() as inbox:
        later = dt.datetime.now(dt.UTC) + dt.timedelta(days=2)
        assert send_pending(store, _settings(inbox), later).emailed == []  # too old by then
        retried = send_pending(store, _settings(inbox))
        assert retried.emailed == [owner]
        assert inbox.wait(1)[0]["Subject"] == "Subject"
        assert send_pending(store, _settings(inbox)).emailed == []  # sent once only


def test_without_smtp_or_webhook_notifications_stay_in_the_app(store: Store) -> None:
    _, owner, _, _ = _team(store)
    done = notify(store, NotifySettings(), [owner], "mention", "Only here")
    assert done.emailed == [] and not done.webhook_sent and not done.errors
    assert [n.subject for n in store.notifications(owner, unread_only=True)] == ["Only here"]


def test_email_can_be_turned_off_per_person(store: Store, inbox: Inbox) -> None:
    _, owner, editor, _ = _team(store)
    store.set_preferences(owner, email=False)
    assert notify(store, _settings(inbox), [owner, editor], "mention", "S").emailed == [editor]
    with pytest.raises(Exception, match="digest"):
        store.set_preferences(owner, digest="hourly")


@pytest.mark.parametrize("backend", BACKENDS)
def test_map_audience_is_owners_maker_and_watchers_who_are_members(store: Store) -> None:
    map_id, owner, editor, outsider = _team(store)
    assert store.map_audience(map_id) == sorted([owner, editor])  # the owner and the maker
    store.watch_map(map_id, outsider)
    store.watch_map(map_id, outsider)  # twice is once
    assert store.watchers(map_id) == [outsider]
    assert outsider not in store.map_audience(map_id)  # not a member: hears nothing
    workspace = store.workspaces_of(owner)[0].id
    store.set_role(workspace, outsider, "viewer")
    assert outsider in store.map_audience(map_id)
    store.watch_map(map_id, outsider, watch=False)
    assert outsider not in store.map_audience(map_id)


@pytest.mark.parametrize("backend", BACKENDS)
def test_one_process_of_several_takes_the_schedulers_lease(store: Store) -> None:
    winners: list[str] = []
    barrier = threading.Barrier(4)

    def contend(name: str) -> None:
        barrier.wait()
        if store.take_lease("status", name, 60):
            winners.append(name)

    threads = [threading.Thread(target=contend, args=(f"p{i}",)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(winners) == 1
    assert store.take_lease("status", winners[0], 60)  # the holder renews
    other = next(f"p{i}" for i in range(4) if f"p{i}" != winners[0])
    assert not store.take_lease("status", other, 60)
    assert store.take_lease("status", winners[0], -1)  # renewed into the past: expired
    assert store.take_lease("status", other, 60)  # so another process takes over
