"""Run one benchmark side in its own process and measure its wall time and peak memory.

Peak memory is the larger of two measures: the kernel's ``ru_maxrss`` for the child (``wait4``:
the child and the descendants it waited for) and the peak, polled every 50 ms, of the summed RSS
of the child's whole process tree (which catches a JVM running beside the Python worker, as with
Spark).
"""

from __future__ import annotations

import json
import os
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PAGE = os.sysconf("SC_PAGE_SIZE")


@dataclass
class Measurement:
    """What one side did: its own report (timings, answers) plus what the parent saw."""

    side: str
    wall_s: float
    peak_rss_bytes: int
    exit_code: int
    report: dict[str, Any] = field(default_factory=dict)
    log: str = ""


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", encoding="ascii", errors="replace") as handle:
                ppid = int(handle.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        tree.setdefault(ppid, []).append(int(entry.name))
    return tree


def tree_rss(pid: int) -> int:
    """Resident bytes of ``pid`` and all its descendants right now."""
    tree, total, todo = _children(), 0, [pid]
    while todo:
        current = todo.pop()
        try:
            with open(f"/proc/{current}/statm", encoding="ascii") as handle:
                total += int(handle.read().split()[1]) * PAGE
        except (OSError, IndexError, ValueError):
            pass
        todo.extend(tree.get(current, []))
    return total


class _Poller(threading.Thread):
    def __init__(self, pid: int, every_s: float = 0.05) -> None:
        super().__init__(daemon=True)
        self.pid, self.every_s, self.peak = pid, every_s, 0
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.is_set():
            self.peak = max(self.peak, tree_rss(self.pid))
            self.stopped.wait(self.every_s)


def measure(side: str, command: list[str], report_path: Path, log_path: Path) -> Measurement:
    """Run ``command`` (which writes its JSON report to ``report_path``) and measure it."""
    report_path.unlink(missing_ok=True)
    started = time.perf_counter()
    with open(log_path, "wb") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        poller = _Poller(process.pid)
        poller.start()
        _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    poller.stopped.set()
    poller.join()
    process.returncode = os.waitstatus_to_exitcode(status)
    peak = max(poller.peak, usage.ru_maxrss * 1024)  # ru_maxrss is in KiB on Linux
    report = json.loads(report_path.read_text()) if report_path.exists() else {}
    text = log_path.read_text(errors="replace")
    return Measurement(side, wall, peak, process.returncode, report, text)
