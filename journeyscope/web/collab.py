"""Live together on one map: who is here, each person's selected cell, and every new version,
pushed over a WebSocket (``/maps/{id}/live``) within a second.

Edits do not travel over this socket: they are small per-field operations sent to the REST API,
which the server sequences (each is saved as the next map version, compare-and-set) and merges
three-way when it was based on an older version (see ``model/merge.py``). The socket only says
"version N is out" and who is where; every browser then fetches the map. That keeps one way in
for changes (CSRF, roles and validation in one place) and lets a person's edit be undone,
reviewed and restored as a version like any other.

Between server processes nothing is kept in memory that another process needs: versions are
rows of ``map_versions``, presence rows of ``presence``, comments rows of ``comments``. Each
process runs one poller per map that has people connected to it (every ``POLL_SECONDS``), so
two uvicorn workers on one PostgreSQL database, or a server restarted mid-workshop, show
everyone the same map.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import secrets
from dataclasses import dataclass, field
from typing import Any, cast
from urllib.parse import urlsplit

import anyio
from anyio import to_thread
from fastapi import APIRouter, HTTPException, Request, WebSocket, WebSocketDisconnect

from ..store import NotFound, PresenceInfo, Store
from .auth import map_access, session_user

router = APIRouter(include_in_schema=False)

POLL_SECONDS = 0.25
HEARTBEAT_SECONDS = 5.0
MAX_MESSAGE = 2_000
PALETTE = ("#2563eb", "#db2777", "#059669", "#d97706", "#7c3aed", "#0891b2", "#dc2626", "#4d7c0f")


@dataclass
class Peer:
    client: str
    user_id: int
    socket: WebSocket


@dataclass
class Room:
    """The people connected to this process for one map, and its poller."""

    map_id: int
    peers: dict[str, Peer] = field(default_factory=dict)
    wake: anyio.Event = field(default_factory=anyio.Event)
    poller: asyncio.Task[None] | None = None


class Rooms:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.rooms: dict[int, Room] = {}

    async def serve(self, peer: Peer, map_id: int) -> None:
        """Keep ``peer`` in the map's room until its socket closes."""
        room = self.rooms.setdefault(map_id, Room(map_id))
        room.peers[peer.client] = peer
        await to_thread.run_sync(self.store.touch_presence, map_id, peer.client, peer.user_id, None)
        if room.poller is None or room.poller.done():
            # one poller per map and process, living as long as someone is connected
            room.poller = asyncio.create_task(self._poll(room))
        try:
            await self._listen(room, peer)
        finally:
            room.peers.pop(peer.client, None)
            with anyio.CancelScope(shield=True):
                await to_thread.run_sync(self.store.leave_presence, peer.client)
            if not room.peers and self.rooms.get(map_id) is room:
                del self.rooms[map_id]
            room.wake.set()

    async def _listen(self, room: Room, peer: Peer) -> None:
        while True:
            try:
                text = await peer.socket.receive_text()
            except (WebSocketDisconnect, RuntimeError):
                return
            message = _message(text)
            if message.get("type") == "select":
                cell = message.get("cell")
                cell = cell[:200] if isinstance(cell, str) else None
                await to_thread.run_sync(
                    self.store.touch_presence, room.map_id, peer.client, peer.user_id, cell
                )
            room.wake.set()  # a selection or a save: tell everyone now, not at the next tick

    async def _poll(self, room: Room) -> None:
        """While anyone is connected: send new versions and presence changes to every peer."""
        version, people, stamp, beat = 0, None, None, 0.0
        while room.peers:
            try:
                current, seen, talk = await to_thread.run_sync(self._read, room.map_id)
            except NotFound:
                await self._close_all(room, 4404)
                return
            if talk != stamp:
                if stamp is not None:
                    await self._send_all(room, lambda _peer: {"type": "comments"})
                stamp = talk
            if current != version:
                version = current
                await self._send_all(
                    room, lambda _peer, n=current: {"type": "version", "version": n}
                )
            if seen != people:
                people = seen
                await self._send_all(room, lambda peer, now=seen: _presence(now, peer.client))
            beat += POLL_SECONDS
            if beat >= HEARTBEAT_SECONDS:
                beat = 0.0
                await to_thread.run_sync(self.store.keep_present, list(room.peers))
            with anyio.move_on_after(POLL_SECONDS):
                await room.wake.wait()
            room.wake = anyio.Event()

    def _read(self, map_id: int) -> tuple[int, list[PresenceInfo], tuple[int, int, int]]:
        store = self.store
        return (
            store.get_map(map_id).current_version,
            store.presence(map_id),
            store.comments_stamp(map_id),
        )

    async def _send_all(self, room: Room, message: Any) -> None:
        for peer in list(room.peers.values()):
            try:
                await peer.socket.send_text(json.dumps(message(peer)))
            except Exception:  # a socket closing under us: its own listener cleans up
                room.peers.pop(peer.client, None)

    async def _close_all(self, room: Room, code: int) -> None:
        for peer in list(room.peers.values()):
            with contextlib.suppress(Exception):
                await peer.socket.close(code)
        room.peers.clear()


def _message(text: str) -> dict[str, Any]:
    if len(text) > MAX_MESSAGE:
        return {}
    try:
        message = json.loads(text)
    except ValueError:
        return {}
    return message if isinstance(message, dict) else {}


def _presence(people: list[PresenceInfo], me: str) -> dict[str, Any]:
    return {
        "type": "presence",
        "people": [
            {"name": p.name, "cell": p.cell, "colour": colour_of(p.user_id), "me": p.client == me}
            for p in people
        ],
    }


def colour_of(user_id: int) -> str:
    """A person's colour, the same in every browser and process."""
    digest = hashlib.sha256(str(user_id).encode()).digest()
    return PALETTE[digest[0] % len(PALETTE)]


def same_origin(socket: WebSocket) -> bool:
    """Browsers send Origin with every WebSocket; a page of another site may not connect with
    our cookie (cross-site WebSocket hijacking)."""
    origin, host = socket.headers.get("origin"), socket.headers.get("host")
    return bool(origin and host) and urlsplit(origin).netloc == host


@router.websocket("/maps/{map_id}/live")
async def live(socket: WebSocket, map_id: int) -> None:
    """Presence and new versions of a map, for its workspace's members (any role: viewers
    watch; changes go through the REST API, which checks the role)."""
    if not same_origin(socket):
        await socket.close(code=4403)
        return
    store: Store = socket.app.state.store
    user = await to_thread.run_sync(session_user, cast(Request, socket))
    if user is None:
        await socket.close(code=4401)
        return
    try:
        await to_thread.run_sync(map_access, store, user, map_id, "viewer")
    except HTTPException as error:
        await socket.close(code=4000 + error.status_code)
        return
    await socket.accept()
    rooms: Rooms = socket.app.state.rooms
    await rooms.serve(Peer(secrets.token_urlsafe(12), user.id, socket), map_id)
