"""A CX lead's own exports of the Tour De Farce data: a CRM events file with its own column
names, event names and date format, a customers workbook (.xlsx) and a survey file — and, for
the whole loop, the same export cut into two periods around an opportunity's launch."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

from openpyxl import Workbook

HEADER = ["Client No", "Activity Date", "Interaction", "Channel Used"]


def team_event(name: str) -> str:
    """The team's own name for an event: ``newsletter_open`` -> ``NL Open``-like names."""
    return "CRM " + name.replace("_", " ").title()


def _crm_row(row: dict[str, str]) -> tuple[list[str], dt.datetime | None]:
    """One synthetic event as the CRM writes it, and its time (None: a bad row)."""
    when, stamp = row["ts"], None
    try:
        stamp = dt.datetime.fromisoformat(when.replace("Z", "+00:00")).astimezone(dt.UTC)
        when = stamp.strftime("%d.%m.%Y %H:%M")
    except ValueError:
        pass  # the synthetic file's bad rows stay bad
    event = team_event(row["event"]) if row["event"] else ""
    return [row["customer_id"], when, event, row["channel"]], stamp


def _workbook(customers: Path, folder: Path) -> Path:
    book = Workbook()
    sheet = book.active
    with customers.open(encoding="utf-8") as src:
        for row in csv.reader(src):
            sheet.append(row)
    workbook = folder / "customers.xlsx"
    book.save(workbook)
    return workbook


def crm_exports(folder: Path, customers: int = 240) -> dict[str, Path]:
    from journeyscope.synth.tour_de_farce import generate_tour_de_farce

    data = generate_tour_de_farce(folder / "synth", customers=customers, with_surveys=True)
    events = folder / "crm-activities.csv"
    with data["events"].open(encoding="utf-8") as src, events.open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(HEADER)
        for row in csv.DictReader(src):
            writer.writerow(_crm_row(row)[0])
    return {"events": events, "customers": _workbook(data["customers"], folder),
            "surveys": data["surveys"], "original": data["events"]}  # fmt: skip


def crm_periods(folder: Path, launch: dt.date, customers: int = 300) -> dict[str, Path]:
    """The CRM export of a Tour De Farce run (first contacts over the two months before
    ``launch`` and the month after) in which the itinerary e-mail launches on ``launch``:
    bookings from then on get it, so fewer customers log in or contact support, and new
    e-mail events the map does not bind appear. Cut at the launch: ``events`` holds what
    happened before it (and the export's bad rows), ``later`` what happened from it on."""
    from journeyscope.synth.tour_de_farce import generate_tour_de_farce

    data = generate_tour_de_farce(folder / "synth", customers=customers, with_surveys=True,
                                  start=launch - dt.timedelta(days=61), months=2,
                                  itinerary_email_from=launch)  # fmt: skip
    cut = dt.datetime.combine(launch, dt.time(), tzinfo=dt.UTC)
    paths = {"events": folder / "crm-before.csv", "later": folder / "crm-later.csv"}
    with data["events"].open(encoding="utf-8") as src, \
            paths["events"].open("w", newline="") as before, \
            paths["later"].open("w", newline="") as after:  # fmt: skip
        writers = {"events": csv.writer(before), "later": csv.writer(after)}
        for writer in writers.values():
            writer.writerow(HEADER)
        for row in csv.DictReader(src):
            values, stamp = _crm_row(row)
            writers["later" if stamp is not None and stamp >= cut else "events"].writerow(values)
    return {**paths, "customers": _workbook(data["customers"], folder),
            "surveys": data["surveys"]}  # fmt: skip
