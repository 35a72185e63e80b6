"""Shared fixtures: the CLI runner, small maps, and the browser (Debian chromium via Playwright)."""

from __future__ import annotations

import shutil
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from journeyscope.model import JourneyMap
from journeyscope.render.browser import CHROMIUM_ARGS

DATA = Path(__file__).parent / "data"


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def tiny_map_data(**overrides: Any) -> dict[str, Any]:
    """A small valid map as plain data: two stages, three steps, one persona."""
    data: dict[str, Any] = {
        "id": "tiny",
        "title": "Tiny journey",
        "personas": [{"id": "ana", "name": "Ana"}],
        "stages": [
            {
                "id": "find",
                "name": "Find",
                "steps": [
                    {"id": "search", "name": "Search", "feelings": [{"score": -1}]},
                    {"id": "compare", "name": "Compare", "feelings": [{"score": 1}]},
                ],
            },
            {
                "id": "buy",
                "name": "Buy",
                "steps": [{"id": "pay", "name": "Pay", "feelings": [{"score": 2}]}],
            },
        ],
    }
    data.update(overrides)
    return data


@pytest.fixture
def tiny_map() -> JourneyMap:
    return JourneyMap.model_validate(tiny_map_data())


def free_port() -> int:
    """A port nothing listens on, on loopback (for a server a test starts)."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serving(app: Any, **options: Any) -> Iterator[str]:
    """``app`` served by uvicorn in a thread on a free loopback port: its base URL."""
    import threading

    import uvicorn

    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                            lifespan="on", **options)  # fmt: skip
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        if not thread.is_alive():
            raise RuntimeError("the server did not start")
        threading.Event().wait(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join()


@pytest.fixture
def inbox() -> Iterator[Any]:
    """A real SMTP server on loopback (aiosmtpd) that keeps what it receives."""
    from .notify_servers import smtp_server

    with smtp_server() as server:
        yield server


@pytest.fixture
def receiver() -> Iterator[Any]:
    """A loopback HTTP server that keeps the webhook POSTs it receives."""
    from .notify_servers import webhook_receiver

    with webhook_receiver() as server:
        yield server


SPARK_MASTER = "local[2]"
# small logs: one task per shuffle, no adaptive re-planning, and expressions interpreted
# rather than compiled (compiling each query's Java code took two thirds of a small
# evaluation: 136 s -> 41 s for Tour De Farce); the same answers, as Spark's own suite checks.
# SPARK_DEFAULTS_CONFIG compiles them, as Spark does by default: one test runs with it.
_SMALL = {"spark.sql.shuffle.partitions": "1", "spark.sql.adaptive.enabled": "false"}
SPARK_CONFIG = {
    **_SMALL,
    "spark.sql.codegen.wholeStage": "false",
    "spark.sql.codegen.factoryMode": "NO_CODEGEN",
}
SPARK_DEFAULTS_CONFIG = {
    **_SMALL,
    "spark.sql.codegen.wholeStage": "true",
    "spark.sql.codegen.factoryMode": "FALLBACK",
}


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    """One Spark application for the whole run; every engine gets a session of its own."""
    pytest.importorskip("pyspark")
    import pandas as pd
    from pyspark.sql import SparkSession

    from journeyscope._spark import SparkEngine
    from journeyscope.events import load_events

    log = load_events(pd.DataFrame({"customer_id": ["a"], "ts": ["2024-01-01"], "event": ["x"]}))
    SparkEngine(log, master=SPARK_MASTER, config=SPARK_CONFIG).close()  # starts the application
    session = SparkSession.builder.getOrCreate()
    yield session
    session.stop()


@contextmanager
def standalone_spark(folder: Path, workers: int = 2) -> Iterator[tuple[str, list[Any]]]:
    """A standalone Spark cluster on loopback: a master and ``workers`` workers (one core, 1 GB
    each) started as separate processes with pyspark's ``spark-class``; yields the master URL
    and the processes once every worker registered, and stops them all afterwards, even on
    failure (each is its own process group: the JVM and the executors it started)."""
    import json
    import os
    import signal
    import subprocess
    import time
    import urllib.request

    import pyspark

    home = os.path.dirname(pyspark.__file__)
    env = {**os.environ, "SPARK_HOME": home, "SPARK_LOCAL_IP": "127.0.0.1",
           "SPARK_LOG_DIR": str(folder), "SPARK_WORKER_DIR": str(folder / "work"),
           "PYSPARK_PYTHON": sys.executable}  # fmt: skip
    port, ui = free_port(), free_port()
    url = f"spark://127.0.0.1:{port}"
    spark_class, deploy = os.path.join(home, "bin", "spark-class"), "org.apache.spark.deploy"
    commands = [
        [spark_class, f"{deploy}.master.Master", "--host", "127.0.0.1", "--port", str(port),
         "--webui-port", str(ui)],
        *([spark_class, f"{deploy}.worker.Worker", "--host", "127.0.0.1", "--cores", "1",
           "--memory", "1g", "--webui-port", str(free_port()), url] for _ in range(workers)),
    ]  # fmt: skip
    processes: list[subprocess.Popen[bytes]] = []
    try:
        for n, command in enumerate(commands):
            with open(folder / f"daemon-{n}.log", "wb") as out:
                processes.append(subprocess.Popen(command, env=env, stdout=out,
                                                  stderr=subprocess.STDOUT,
                                                  start_new_session=True))  # fmt: skip
        deadline = time.monotonic() + 180
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{ui}/json", timeout=5) as answer:
                    state = json.load(answer)
                alive = [w for w in state.get("workers", []) if w.get("state") == "ALIVE"]
                if len(alive) == workers:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline or any(p.poll() is not None for p in processes):
                logs = "\n".join(f.read_text()[-2000:] for f in folder.glob("daemon-*.log"))
                raise RuntimeError(f"the Spark cluster did not start:\n{logs}")
            time.sleep(1)
        yield url, processes
    finally:
        for process in processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


@pytest.fixture(scope="session")
def spark_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One two-worker standalone cluster (``standalone_spark``) for the whole run: its URL."""
    pytest.importorskip("pyspark")
    with standalone_spark(tmp_path_factory.mktemp("spark-cluster")) as (url, _):
        yield url


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """A headless Debian chromium driven by Playwright (installed by `make test`)."""
    from playwright.sync_api import sync_playwright

    executable = shutil.which("chromium")
    assert executable, "browser tests need Debian's chromium: apt-get install chromium"
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
#: parametrise database fixtures with these to run a test on SQLite and on PostgreSQL
BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@contextmanager
def postgres_schema() -> Iterator[str]:
    """A URL of a fresh schema on the local PostgreSQL server, dropped afterwards."""
    from sqlalchemy import create_engine, text

    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield f"{PG_ADMIN}?options=-csearch_path%3D{schema}"
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def shop() -> Any:
    """The small shop map of the insights tests (tests/data/insights/shop.yaml)."""
    from journeyscope.formats import load_map

    from .test_insights import SHOP

    return load_map(SHOP)


@pytest.fixture
def tiny(shop: Any) -> Any:
    """An insights context over the hand-computed tiny log of tests/test_insights.py."""
    from .test_insights import TINY, context_for, frame

    return context_for(frame(TINY), shop)
