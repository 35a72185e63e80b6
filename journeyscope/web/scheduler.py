"""The in-process scheduler the server starts: every ``schedule_seconds`` it reads the data-source
connections that are due (a map whose data changed is evaluated again, and its status follows
when that evaluation is stored), re-reads each map's status from its newest evaluation
(announcing maps that turned stale) and sends the e-mails that are due (daily digests, retries).

Several server processes may share one database: each round starts by taking the job's lease
(a compare-and-set on ``job_leases``), so exactly one process does the work; when it stops,
its lease runs out and another takes over.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid

from ..notify import send_pending
from ..store import Store
from .connections import refresh_due
from .evidence import AnalysisRunner
from .map_status import refresh_all
from .settings import Settings

__all__ = ["Scheduler"]

log = logging.getLogger(__name__)
JOB = "status-and-digests"


class Scheduler:
    def __init__(self, store: Store, settings: Settings, runner: AnalysisRunner | None = None):
        self.store, self.settings, self.runner = store, settings, runner
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self.settings.schedule_seconds <= 0 or self._thread is not None:
            return
        self._thread = threading.Thread(target=self._loop, name="scheduler", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)

    def run_once(self) -> bool:
        """One round if this process holds (or takes) the lease; True when it ran."""
        # the lease outlives a round by half an interval, so a slow round keeps it
        if not self.store.take_lease(JOB, self.holder, self.settings.schedule_seconds * 1.5):
            return False
        refresh_due(self.store, self.settings, self.runner)
        refresh_all(self.store, self.settings)
        send_pending(self.store, self.settings)
        return True

    def _loop(self) -> None:
        while not self._stop.wait(self.settings.schedule_seconds):
            try:
                self.run_once()
            except Exception:  # the next round tries again
                log.warning("the scheduled round failed", exc_info=True)
