"""Inside a real Jupyter kernel without the optional widgets: ``load_events`` and
``evaluate`` work and give the counts they give anywhere (DuckDB's progress bar in a notebook
wants ``ipywidgets``; the loader turns it off, and must not fail where it cannot)."""

from __future__ import annotations

import os
import queue
import textwrap
from pathlib import Path
from typing import Any

import pytest

jupyter_client = pytest.importorskip("jupyter_client")
pytest.importorskip("ipykernel")

ROOT = Path(__file__).resolve().parents[1]


def _run(client: Any, code: str) -> tuple[str, list[str]]:
    """Execute ``code`` in the kernel: its stdout and the error tracebacks, if any."""
    msg_id = client.execute(code)
    out: list[str] = []
    errors: list[str] = []
    while True:
        try:
            msg = client.get_iopub_msg(timeout=120)
        except queue.Empty:
            raise AssertionError("the kernel did not answer in two minutes") from None
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        kind, content = msg["msg_type"], msg["content"]
        if kind == "stream" and content["name"] == "stdout":
            out.append(content["text"])
        elif kind == "error":
            errors.append("\n".join(content["traceback"]))
        elif kind == "status" and content["execution_state"] == "idle":
            return "".join(out), errors


def test_load_and_evaluate_in_a_kernel_without_ipywidgets(tmp_path: Path) -> None:
    events = tmp_path / "events.csv"
    rows = ["customer_id,ts,event"]
    for i in range(300):
        rows += [f"c{i},2024-06-01 10:00,visit", f"c{i},2024-06-01 10:05,cart"]
        if i % 3 == 0:
            rows.append(f"c{i},2024-06-01 10:09,pay")
    rows.append("c0,not a time,pay")
    events.write_text("\n".join(rows) + "\n", encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    manager = jupyter_client.KernelManager(kernel_name="python3")
    manager.start_kernel(env=env, cwd=str(tmp_path))
    client = manager.client()
    client.start_channels()
    try:
        client.wait_for_ready(timeout=120)
        out, errors = _run(
            client,
            textwrap.dedent(f"""
            import sys
            sys.modules["ipywidgets"] = None  # not installed, as far as any import can tell
            try:
                import ipywidgets
            except ImportError:
                print("no ipywidgets")
            print("kernel:", type(get_ipython()).__name__)
            import duckdb
            try:  # the hazard itself: here DuckDB refuses even to turn its bar off
                duckdb.connect().execute("SET enable_progress_bar = false")
                print("duckdb: setting accepted")
            except duckdb.InvalidInputException:
                print("duckdb: setting refused")
            import journeyscope
            print("from:", journeyscope.__file__)
            from journeyscope.events import load_events
            from journeyscope.evaluation import EvaluationSettings, Sources, evaluate
            log = load_events({str(events)!r})
            print("loaded:", log.report.read, log.report.loaded, log.report.quarantined)
            result = evaluate(None, Sources({str(events)!r}), EvaluationSettings(insights=None))
            summary = result.analysis.to_dict()["summary"]
            print("evaluated:", summary["customers"], summary["events"])
        """),
        )
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)
    assert errors == [], errors[0] if errors else ""
    assert "no ipywidgets" in out
    assert "kernel: ZMQInteractiveShell" in out  # a real Jupyter kernel, not a plain shell
    assert "duckdb: setting refused" in out  # the condition the loader must survive
    assert f"from: {ROOT / 'journeyscope' / '__init__.py'}" in out
    assert "loaded: 701 700 1" in out
    assert "evaluated: 300 700" in out
