"""Templates and the per-request page context (language, direction, CSRF token, user)."""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from functools import cache
from pathlib import Path
from typing import Any, Generic, TypeVar

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from .assets import asset_url
from .auth import csrf_token, session_user
from .i18n import LANGUAGES, RTL, pick_language, translator

TEMPLATES = Path(__file__).parent / "templates"
ENV = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(["html", "j2"], default=True),
    trim_blocks=True,
    lstrip_blocks=True,
    auto_reload=False,  # package files: compiled once, never checked again per request
)
# a fingerprint is computed once per process (the files are the package's: a new release
# restarts the server), not looked up on the disk three times a page
ENV.globals["asset_url"] = cache(asset_url)


T = TypeVar("T")


class Recent(Generic[T]):
    """The ``size`` most recently used values made from immutable inputs (a bounded LRU).

    Callers check access first and key by everything the value depends on, including the
    ids that scope it to one map, so a value never reaches a page it was not made for."""

    def __init__(self, size: int):
        self.size = size
        self.made = 0  #: how many values were made (not found)
        self._values: OrderedDict[Hashable, T] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable, make: Callable[[], T]) -> T:
        with self._lock:
            if key in self._values:
                self._values.move_to_end(key)
                return self._values[key]
        value = make()
        with self._lock:
            self.made += 1
            self._values[key] = value
            while len(self._values) > self.size:
                self._values.popitem(last=False)
        return value


_INLINE_SCRIPT = re.compile(r"<script>.*?</script>", re.S)


def page_fragment(html: str) -> Markup:
    """A rendered map for a workspace page: without the inline script that standalone map
    files carry (the Content-Security-Policy runs none; ``static/app.js`` does its work)."""
    return Markup(_INLINE_SCRIPT.sub("", str(html)))


def language(request: Request) -> str:
    """?lang= (remembered in the session) > the session > the user's profile > the browser."""
    asked = request.query_params.get("lang")
    if asked and pick_language(asked) == asked:
        request.session["lang"] = asked
        return asked
    user = session_user(request)
    return pick_language(
        request.session.get("lang"),
        user.language if user else None,
        request.headers.get("accept-language"),
    )


def _page_extras(request: Request, lang: str) -> dict[str, Any]:
    """What the top bar and every map page show: the unread notifications (the bell) and
    ``map_status(map_id)``, a map's status badge in the page's language."""
    from .map_status import describe_status

    user = session_user(request)
    store = request.app.state.store
    translate = translator(lang)

    def map_status(map_id: int) -> dict[str, Any]:
        status = store.map_status(map_id)
        stale = status is not None and status.state == "stale"
        return describe_status(status, translate, store.load_journey(map_id)[0] if stale else None)

    return {"unread_count": _unread(store, user.id) if user else 0, "map_status": map_status}


def _unread(store: Any, user_id: int) -> int:
    """The bell's count; an error page (say, the database is busy) still renders without it."""
    from sqlalchemy.exc import SQLAlchemyError

    try:
        return int(store.unread_count(user_id))
    except SQLAlchemyError:
        return 0


def render(request: Request, name: str, context: dict[str, Any], status: int = 200) -> HTMLResponse:
    lang = language(request)
    full = {
        "request": request,
        "_": translator(lang),
        "lang": lang,
        "dir": "rtl" if lang in RTL else "ltr",
        "languages": LANGUAGES,
        "csrf": csrf_token(request),
        "user": session_user(request),
        "path": request.url.path,
        **_page_extras(request, lang),
        **context,
    }
    html = ENV.get_template(name).render(full)
    return HTMLResponse(html, status_code=status)
