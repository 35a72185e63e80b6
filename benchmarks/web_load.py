"""Workspace pages under load: a few signed-in clients on loopback for a fixed time.

    .venv/bin/python benchmarks/web_load.py                      # SQLite, 4 clients, 30 s
    .venv/bin/python benchmarks/web_load.py --db postgresql://127.0.0.1/test --versions 1000

Starts ``journeyscope serve`` as its own process on 127.0.0.1 (a fresh data folder; with
``--db`` a fresh PostgreSQL schema, dropped afterwards), seeds it through the store (one map
with ``--versions`` versions, one user per client) and one evaluation of the Tour De Farce
events uploaded through the API, then lets ``--clients`` threads load the map, board,
evaluation, flows and history pages round-robin for ``--seconds``. Prints p50/p95/p99 per
page in milliseconds and the requests per second; nothing is timed inside the server. A
second pass asks for the flows page's scripts as a browser with a warm cache does
(fingerprinted URLs: nothing is downloaded again), timing the complete repeat visit.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "bench-password-1"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _schema(db: str | None) -> tuple[str | None, str | None]:
    """A fresh schema on the PostgreSQL server of ``db`` (its name and the URL using it)."""
    if db is None:
        return None, None
    from sqlalchemy import create_engine, text

    name = f"bench_{uuid.uuid4().hex[:10]}"
    with create_engine(db).begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{name}"'))
    return name, f"{db}?options=-csearch_path%3D{name}"


def _drop(db: str | None, name: str | None) -> None:
    if db and name:
        from sqlalchemy import create_engine, text

        with create_engine(db).begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{name}" CASCADE'))


def _seed(url: str, clients: int, versions: int) -> tuple[int, str]:
    """Users, a workspace and the map with its versions; returns (map id, an API token)."""
    from journeyscope.formats import load_template
    from journeyscope.store import open_store

    store = open_store(url)
    owner = store.create_user("owner@bench.test", "Owner", PASSWORD)
    space = store.create_workspace("Bench", owner.id)
    for n in range(clients):
        user = store.create_user(f"client{n}@bench.test", f"Client {n}", PASSWORD)
        store.set_role(space.id, user.id, "editor")
    journey = load_template("tour-de-farce", "en")
    info = store.create_map(space.id, journey, owner.id)
    previous = journey
    for number in range(1, versions):  # with the base version at hand, as the editor saves
        edited = journey.model_copy(update={"description": f"Workshop notes, round {number}"})
        store.save_map(info.id, edited, number, owner.id, f"round {number}", previous=previous)
        previous = edited
    token = store.create_token(owner.id, "bench", "write")[1]
    store.close()
    return info.id, token


def _sign_in(base: str, email: str) -> httpx.Client:
    client = httpx.Client(base_url=base, timeout=60)
    token = _CSRF.search(client.get("/login").text)
    assert token, "no sign-in form"
    data = {"email": email, "password": PASSWORD, "csrf_token": token.group(1), "next": "/maps"}
    response = client.post("/login", data=data)
    assert response.status_code == 303, response.text
    return client


def _upload(base: str, token: str, map_id: int, folder: Path) -> int:
    from journeyscope.synth.tour_de_farce import generate_tour_de_farce

    files = generate_tour_de_farce(folder, customers=3000, with_surveys=True)
    api = httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=60)
    upload = {
        "file": ("events.csv", files["events"].read_bytes()),
        "customers": ("customers.csv", files["customers"].read_bytes()),
        "surveys": ("surveys.csv", files["surveys"].read_bytes()),
    }
    sent = api.post(f"/api/maps/{map_id}/analyses", files=upload)
    assert sent.status_code == 202, sent.text
    analysis = sent.json()["id"]
    for _ in range(600):
        status = api.get(f"/api/maps/{map_id}/analyses/{analysis}").json()["status"]
        if status in ("done", "failed"):
            assert status == "done", status
            return int(analysis)
        time.sleep(0.5)
    raise TimeoutError("the evaluation did not finish")


def _wait(base: str, process: subprocess.Popen[bytes]) -> None:
    for _ in range(300):
        if process.poll() is not None:
            raise RuntimeError("journeyscope serve stopped")
        try:
            if httpx.get(f"{base}/login", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise TimeoutError("journeyscope serve did not start")


def _percentiles(samples: list[float]) -> tuple[float, float, float]:
    if len(samples) < 2:
        return (samples[0],) * 3 if samples else (float("nan"),) * 3
    cuts = statistics.quantiles(samples, n=100, method="inclusive")
    return cuts[49], cuts[94], cuts[98]


def _load(clients: list[httpx.Client], pages: dict[str, str], seconds: float) -> dict[str, list]:
    times: dict[str, list[float]] = {name: [] for name in pages}
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def run(client: httpx.Client, offset: int) -> None:
        names = list(pages)
        i = offset
        while time.monotonic() < stop:
            name = names[i % len(names)]
            started = time.perf_counter()
            response = client.get(pages[name])
            elapsed = (time.perf_counter() - started) * 1000
            assert response.status_code == 200, (name, response.status_code)
            with lock:
                times[name].append(elapsed)
            i += 1

    threads = [threading.Thread(target=run, args=(c, n)) for n, c in enumerate(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return times


def _repeat_visit(client: httpx.Client, page: str) -> tuple[float, int]:
    """The page and its scripts as a browser with a warm cache fetches them: a fingerprinted
    (immutable) asset is not requested again; others are revalidated with their ETag."""
    html = client.get(page).text
    assets = re.findall(r'(?:src|href)="(/(?:static|assets)/[^"]+)"', html)
    etags = {url: client.get(url).headers.get("etag", "") for url in assets}
    started = time.perf_counter()
    downloaded = len(client.get(page).content)
    for url in assets:
        if "?v=" not in url:
            downloaded += len(client.get(url, headers={"If-None-Match": etags[url]}).content)
    return (time.perf_counter() - started) * 1000, downloaded


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", help="a PostgreSQL server URL (default: SQLite in the data folder)")
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--versions", type=int, default=1000)
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="journeyscope-web-load-"))
    schema, url = _schema(args.db)
    url = url or f"sqlite:///{folder / 'data' / 'journeyscope.db'}"
    (folder / "data").mkdir()
    process = None
    try:
        map_id, token = _seed(url, args.clients, args.versions)
        port = _free_port()
        base = f"http://127.0.0.1:{port}"
        command = [sys.executable, "-m", "journeyscope.cli.main", "serve", "--port", str(port),
                   "--data-dir", str(folder / "data"), "--db", url]  # fmt: skip
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)  # fmt: skip
        _wait(base, process)
        analysis = _upload(base, token, map_id, folder / "events")
        pages = {
            "map": f"/maps/{map_id}",
            "board": f"/maps/{map_id}/pain-points",
            "evaluation": f"/maps/{map_id}/analyses/{analysis}",
            "flows": f"/maps/{map_id}/analyses/{analysis}/flows",
            "history": f"/maps/{map_id}/history",
        }
        clients = [_sign_in(base, f"client{n}@bench.test") for n in range(args.clients)]
        for client in clients:  # warm: templates compiled, caches filled
            for page in pages.values():
                client.get(page)
        times = _load(clients, pages, args.seconds)
        backend = "PostgreSQL" if args.db else "SQLite"
        total = sum(len(t) for t in times.values())
        print(f"{backend}, {args.clients} clients, {args.seconds:.0f} s, map with "
              f"{args.versions} versions: {total / args.seconds:.1f} requests/s")  # fmt: skip
        print("| page | requests | p50 ms | p95 ms | p99 ms |")
        print("|---|---:|---:|---:|---:|")
        for name, samples in times.items():
            p50, p95, p99 = _percentiles(samples)
            print(f"| {name} | {len(samples)} | {p50:.0f} | {p95:.0f} | {p99:.0f} |")
        repeat, size = _repeat_visit(clients[0], pages["flows"])
        print(f"flows page, repeat visit: {repeat:.0f} ms, {size / 1024:.0f} KiB downloaded")
    finally:
        if process is not None:
            process.terminate()
            process.wait(timeout=30)
        _drop(args.db, schema)
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
