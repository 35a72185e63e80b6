"""History that stays fast: a map with 1,000 versions, its history pages timed through the web
app (the real route, template and store; SQLite file or PostgreSQL).

    python benchmarks/web_history.py [--versions 1000] [--database-url postgresql+psycopg://...]

Each version is a real edit saved the way the editor saves one (``save_map``: its diff is
computed and stored then), so reading a page of the history only reads 20 rows. Prints the
median and the slowest time per page (first, middle and last pages, and a comparison of the
first version with the last) and fails when a history page takes 300 ms or more.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from journeyscope.formats import load_template  # noqa: E402
from journeyscope.web import Settings, create_app  # noqa: E402
from journeyscope.web.editor import apply_edit  # noqa: E402

LIMIT_MS = 300.0


def build(app: object, versions: int) -> int:
    store = app.state.store  # type: ignore[attr-defined]
    user = store.create_user("bench@example.com", "Bench", "correct horse battery")
    workspace = store.create_workspace("Bench", user.id)
    journey = load_template("retail-lifecycle")
    info = store.create_map(workspace.id, journey, user.id)
    steps = [step.id for stage in journey.stages for step in stage.steps]
    started = time.perf_counter()
    for n in range(2, versions + 1):
        step = steps[n % len(steps)]
        lines = "\n".join([*journey.step(step).thoughts, f"thought {n}"])
        form = {"op": "set", "kind": "step", "id": step, "field": "thoughts", "value": lines}
        edited = apply_edit(journey, form)
        store.save_map(info.id, edited, n - 1, user.id, f"edit {n}", previous=journey)
        journey = edited
    per_save = (time.perf_counter() - started) / max(1, versions - 1) * 1000
    print(f"saved {versions} versions ({per_save:.1f} ms per save, its diff stored with it)")
    return int(info.id)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--versions", type=int, default=1000)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from starlette.testclient import TestClient
    data = Path(tempfile.mkdtemp(prefix="history-bench-"))
    app = create_app(Settings(data_dir=data, secret_key="bench-" * 8,
                              database_url=args.database_url))  # fmt: skip
    map_id = build(app, args.versions)
    client = TestClient(app)
    token = client.get("/login").text.split('name="csrf_token" value="')[1].split('"')[0]
    client.post("/login", data={"email": "bench@example.com", "password":
                                "correct horse battery", "csrf_token": token})  # fmt: skip
    pages = -(-args.versions // 20)
    started = time.perf_counter()
    client.get(f"/maps/{map_id}/history")  # the server's first page compiles the template
    print(f"first request after start (warm-up) {(time.perf_counter() - started) * 1000:.1f} ms")
    worst = 0.0
    for label, url in [
        ("history page 1", f"/maps/{map_id}/history"),
        (f"history page {pages // 2}", f"/maps/{map_id}/history?page={pages // 2}"),
        (f"history page {pages}", f"/maps/{map_id}/history?page={pages}"),
        (f"compare v1 with v{args.versions}", f"/maps/{map_id}/compare?a=1&b={args.versions}"),
    ]:
        times = []
        for _ in range(args.rounds):
            started = time.perf_counter()
            response = client.get(url)
            times.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, response.text[:300]
        if label.startswith("history"):
            worst = max(worst, max(times))
        print(f"{label:<28} median {statistics.median(times):7.1f} ms   max {max(times):7.1f} ms")
    print(f"slowest history page: {worst:.1f} ms (limit {LIMIT_MS:.0f} ms)")
    return 0 if worst < LIMIT_MS else 1


if __name__ == "__main__":
    raise SystemExit(main())
