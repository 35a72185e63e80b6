"""What every shape shares: the calendar, the output folder, and a few seeded draws."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

import numpy as np
import yaml

from ...formats import load_map
from ...model import InsightSettings
from ._table import DAY, HOUR, WEEK

__all__ = [
    "END",
    "LAUNCH",
    "MAPS",
    "PLAIN_NAMES",
    "SPLIT",
    "START",
    "Draw",
    "out_folder",
    "renames",
    "write_map",
]

#: the first Monday of the data; customers start over 24 weeks, sends stop after 26
START = dt.datetime(2025, 1, 6, tzinfo=dt.UTC)
#: improvements launch on the Monday of week 13 (the middle of the start weeks)
LAUNCH = (START + dt.timedelta(weeks=13)).date()
#: the middle of the journeys' start times, where ``check`` splits old from new by default
SPLIT = START + dt.timedelta(weeks=12)
END = 26 * WEEK
#: with ``collide=False``: the events' columns named like Journeyscope's own words, renamed
PLAIN_NAMES = {name: f"source_{name}" for name in ("step", "seq", "journey", "channel", "persona")}


def renames(collide: bool) -> dict[str, str] | None:
    return None if collide else PLAIN_NAMES


def out_folder(folder: str | Path | None, shape: str) -> Path:
    """``folder`` (created), or a new temporary folder named after the shape."""
    if folder is None:
        return Path(tempfile.mkdtemp(prefix=f"journeyscope-planted-{shape}-"))
    path = Path(folder)
    path.mkdir(parents=True, exist_ok=True)
    return path


MAPS = Path(__file__).parent / "maps"


def write_map(path: Path, shape: str) -> Path:
    """Write the shape's map (``maps/<shape>.yaml`` with its launch dates) after checking it
    loads: a generator never writes a broken map."""
    text = (MAPS / f"{shape}.yaml").read_text(encoding="utf-8")
    text = text.replace("{LAUNCH}", LAUNCH.isoformat()).replace("{SPLIT}", SPLIT.date().isoformat())
    if "wait_targets" not in InsightSettings.model_fields:
        text = _older_wait_targets(text)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    load_map(tmp)
    tmp.replace(path)
    return path


def _older_wait_targets(text: str) -> str:
    """The map in the format before ``wait_targets`` (``{step: hours}``, each wait measured
    from the event just before): the truth stays what it is, only the map says less."""
    data = yaml.safe_load(text)
    targets = data["insights"].pop("wait_targets", [])
    data["insights"]["wait_targets_hours"] = {t["step"]: t["hours"] for t in targets}
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


class Draw:
    """Seeded draws for ``n`` customers."""

    def __init__(self, n: int, seed: int):
        self.n, self.rng = n, np.random.default_rng(seed)

    def chance(self, p: float | np.ndarray, size: int | None = None) -> np.ndarray:
        """True with probability ``p`` (one draw per element of ``p`` or per customer)."""
        shape = np.shape(p) if np.ndim(p) else (self.n if size is None else size)
        return self.rng.random(shape) < p

    def pick(self, values: dict[str, float], size: int | None = None) -> np.ndarray:
        """Values drawn with the given shares."""
        shares = np.array(list(values.values()), dtype=float)
        return self.rng.choice(np.array(list(values)), self.n if size is None else size,
                               p=shares / shares.sum())  # fmt: skip

    def uniform(self, low: float, high: float, size: int) -> np.ndarray:
        return self.rng.uniform(low, high, size)

    def starts(self) -> np.ndarray:
        """Each customer's first moment: a day of the 24 start weeks, in the daytime."""
        day = self.rng.integers(0, 24 * 7, self.n) * DAY
        return day + self.rng.uniform(7 * HOUR, 22 * HOUR, self.n)

    def mondays_after(self, seconds: np.ndarray, hour: float = 10) -> np.ndarray:
        """The next Monday ``hour``:00 after each moment (START is a Monday)."""
        return (np.floor(seconds / WEEK) + 1) * WEEK + hour * HOUR

    def ids(self, prefix: str) -> list[str]:
        return [f"{prefix}{i:07d}" for i in range(self.n)]
