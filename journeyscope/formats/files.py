"""Map files <-> the model: YAML and JSON, located error messages, atomic saves."""

from __future__ import annotations

import difflib
import glob
import json
import os
import stat
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError
from pydantic_core import ErrorDetails

from ..model import JourneyMap, find_problems, format_path
from ._positions import MAX_DEPTH, Located, Position, RefusedYAML, parse_located

SUFFIXES = {".yaml": "yaml", ".yml": "yaml", ".json": "json"}


@dataclass(frozen=True)
class FileProblem:
    """One problem in a map file, located for a person to fix."""

    file: str
    line: int
    column: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}: {self.field}: {self.message}"


class MapFileError(Exception):
    """A map file could not be loaded; ``problems`` lists every reason found."""

    def __init__(self, problems: list[FileProblem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


def load_map(path: str | os.PathLike[str]) -> JourneyMap:
    """Read a ``.yaml``/``.yml``/``.json`` map file; raises :class:`MapFileError` with locations."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise MapFileError(
            [FileProblem(str(path), 1, 1, "(file)", exc.strerror or str(exc))]
        ) from exc
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise MapFileError(
            [FileProblem(str(path), line, 1, "(file)", "the file is not UTF-8 text")]
        ) from exc
    return parse_map(text, str(path), fmt=SUFFIXES.get(path.suffix.lower(), "yaml"))


def parse_map(text: str, filename: str = "<map>", fmt: str = "yaml") -> JourneyMap:
    """Parse map text (YAML or JSON); raises :class:`MapFileError` naming line, column and field."""
    located = _parse_text(text, filename, fmt)
    problems = [
        FileProblem(filename, pos.line, pos.column, format_path(loc), "this key appears twice")
        for loc, pos in located.duplicate_keys
    ]
    if not isinstance(located.data, dict):
        problems.append(
            FileProblem(filename, 1, 1, "(map)", "a map file must hold a mapping of fields")
        )
        raise MapFileError(problems)
    try:
        journey = JourneyMap.model_validate(located.data, context={"skip_integrity": True})
    except ValidationError as exc:
        problems += [_locate_validation(err, located, filename) for err in exc.errors()]
        raise MapFileError(sorted(problems, key=lambda p: (p.line, p.column))) from None
    for problem in find_problems(journey):
        pos = located.position(problem.path)
        problems.append(FileProblem(filename, pos.line, pos.column, problem.where, problem.message))
    if problems:
        raise MapFileError(sorted(problems, key=lambda p: (p.line, p.column)))
    return journey


def _parse_text(text: str, filename: str, fmt: str) -> Located:
    if fmt != "json":
        try:
            return parse_located(text)
        except yaml.YAMLError as exc:
            raise _syntax_error(exc, filename, fmt) from None
    # The data comes from the JSON parser; YAML only lends the positions, since YAML 1.1 reads
    # some valid JSON differently (raw NEL/control characters) or not at all. YAML reads first:
    # it refuses nesting too deep for the JSON parser's recursion, with the line and column.
    try:
        located = parse_located(text)
    except RefusedYAML as exc:
        raise _syntax_error(exc, filename, fmt) from None
    except yaml.YAMLError:
        located = Located(None)
    try:
        located.data = json.loads(text)
    except json.JSONDecodeError as exc:
        problem = FileProblem(
            filename, exc.lineno, exc.colno, "(syntax)", f"invalid JSON: {exc.msg}"
        )
        raise MapFileError([problem]) from None
    except RecursionError:
        message = f"the data is nested deeper than {MAX_DEPTH} levels, more than a map needs"
        raise MapFileError([FileProblem(filename, 1, 1, "(syntax)", message)]) from None
    return located


def _syntax_error(exc: yaml.YAMLError, filename: str, fmt: str) -> MapFileError:
    """A located problem from a YAML error: a refusal as it is, a syntax error explained."""
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
    reason = getattr(exc, "problem", None) or str(exc)
    if isinstance(exc, RefusedYAML):
        return MapFileError([FileProblem(filename, line, column, "(syntax)", reason)])
    context = getattr(exc, "context", None)
    context_mark = getattr(exc, "context_mark", None)
    if context and context_mark and context_mark is not mark:
        context += (
            f" that started at line {context_mark.line + 1}, column {context_mark.column + 1}"
        )
    message = f"invalid {fmt.upper()} syntax: {reason}" + (f" ({context})" if context else "")
    return MapFileError([FileProblem(filename, line, column, "(syntax)", message)])


def _locate_validation(err: ErrorDetails, located: Located, filename: str) -> FileProblem:
    loc = tuple(part for part in err["loc"] if isinstance(part, int) or "[" not in str(part))
    kind = err["type"]
    if kind == "extra_forbidden":
        pos = located.position(loc, prefer_key=True)
        message = f"unknown field {loc[-1]!r}" + _suggest(loc, located)
    elif kind == "missing":
        pos = located.position(loc[:-1], prefer_key=True)
        message = f"required field {loc[-1]!r} is missing"
    else:
        pos = located.position(loc)
        message = _plain(err)
    return FileProblem(filename, pos.line, pos.column, format_path(loc), message)


def _suggest(loc: tuple[str | int, ...], located: Located) -> str:
    from ..model import journey as journey_module

    names: set[str] = set()
    for model in vars(journey_module).values():
        fields = getattr(model, "model_fields", None)
        if isinstance(fields, dict):
            names |= set(fields)
    close = difflib.get_close_matches(str(loc[-1]), sorted(names), n=1)
    return f"; did you mean {close[0]!r}?" if close else ""


def _plain(err: ErrorDetails) -> str:
    message = err["msg"].removeprefix("Value error, ")
    if err["type"].endswith("_type") or err["type"].endswith("_parsing"):
        message += f" (got {_short(err.get('input'))})"
    return message


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


# --- writing -------------------------------------------------------------------------------


def map_to_data(journey: JourneyMap) -> dict[str, Any]:
    """The map as plain JSON-compatible data, defaults left out, format version first."""
    data = journey.model_dump(mode="json", exclude_defaults=True)
    data.pop("journeyscope", None)
    return {"journeyscope": 1, **data}


class _Dumper(yaml.SafeDumper):
    pass


_YAML_BREAKS = frozenset("\x85\u2028\u2029\r")


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style: str | None = None
    if _YAML_BREAKS.intersection(value):
        style = '"'  # YAML folds these line breaks unless they are escaped
    elif "\n" in value and all(line == line.rstrip() for line in value.split("\n")):
        style = "|" if not value.startswith(" ") else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _represent_str)


def dump_map(journey: JourneyMap, fmt: str = "yaml") -> str:
    """The text of a map file in ``fmt`` (``yaml`` or ``json``)."""
    data = map_to_data(journey)
    if fmt == "json":
        return json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    return yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=100)


def save_map(journey: JourneyMap, path: str | os.PathLike[str]) -> Path:
    """Write ``journey`` to ``path`` atomically (write a temporary file, then rename)."""
    path = Path(path)
    fmt = SUFFIXES.get(path.suffix.lower(), "yaml")
    atomic_write_text(path, dump_map(journey, fmt))
    return path


def atomic_write_text(path: Path, text: str, *, private: bool = False) -> None:
    """Write text so that readers see the old file or the whole new one, never half of it.
    ``private``: readable by its owner only (0600), for files holding customer data."""
    atomic_write_bytes(path, text.encode("utf-8"), private=private)


def atomic_write_bytes(path: Path, data: bytes, *, private: bool = False) -> None:
    """Write bytes so that readers see the old file or the whole new one, never half of it.

    The bytes go to a temporary file in the same folder, named ``.NAME.PID.RANDOM.tmp`` and
    private (0600) until it is renamed over ``path`` with the final mode: the old file's, or
    the usual one for a new file (0600 when ``private``). Any exception (Ctrl-C included)
    removes it; a process killed outright cannot, so each write also removes the temporary files
    of such processes.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    _remove_leftovers(path)
    mode = 0o600 if private else _final_mode(path)
    tmp: str | None = None
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=_temp_prefix(path), suffix=".tmp")
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
            os.fchmod(handle.fileno(), mode)
        os.replace(tmp, path)
    except BaseException:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
        raise


#: A temporary file this much older than now whose process is gone is a left-over (younger ones
#: may belong to a writer on another machine sharing the folder).
_LEFTOVER_SECONDS = 60.0


def _temp_prefix(path: Path, pid: int | None = None) -> str:
    return f".{path.name}.{os.getpid() if pid is None else pid}."


def _remove_leftovers(path: Path) -> None:
    """Remove the temporary files of earlier writes to ``path`` whose process was killed."""
    now = time.time()
    for leftover in glob.glob(glob.escape(str(path.parent / f".{path.name}.")) + "*.tmp"):
        pid_text = leftover[len(str(path.parent / f".{path.name}.")) :].split(".", 1)[0]
        try:
            if _running(int(pid_text)) or now - os.lstat(leftover).st_mtime < _LEFTOVER_SECONDS:
                continue
            os.unlink(leftover)
        except (ValueError, OSError):
            continue  # not one of ours, or already gone


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process
    return True


def _final_mode(path: Path) -> int:
    """The mode of the file being replaced, or what a new file gets under the umask."""
    try:
        return stat.S_IMODE(os.stat(path).st_mode)
    except FileNotFoundError:
        return 0o666 & ~_umask()


def _umask() -> int:
    """The process umask, read without setting it (``os.umask`` would change it for every
    thread for a moment); only where /proc cannot say is it set and put back."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o077)
    os.umask(mask)
    return mask


__all__ = [
    "FileProblem",
    "MapFileError",
    "Position",
    "atomic_write_bytes",
    "atomic_write_text",
    "dump_map",
    "load_map",
    "map_to_data",
    "parse_map",
    "save_map",
]
