"""A CX lead's own exports of the Tour De Farce data: a CRM events file with its own column
names, event names and date format, a customers workbook (.xlsx) and a survey file."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

from openpyxl import Workbook


def team_event(name: str) -> str:
    """The team's own name for an event: ``newsletter_open`` -> ``NL Open``-like names."""
    return "CRM " + name.replace("_", " ").title()


def crm_exports(folder: Path, customers: int = 240) -> dict[str, Path]:
    from journeyscope.synth.tour_de_farce import generate_tour_de_farce

    data = generate_tour_de_farce(folder / "synth", customers=customers, with_surveys=True)
    events = folder / "crm-activities.csv"
    out_file = events.open("w", newline="", encoding="utf-8")
    with data["events"].open(encoding="utf-8") as src, out_file as out:
        writer = csv.writer(out)
        writer.writerow(["Client No", "Activity Date", "Interaction", "Channel Used"])
        for row in csv.DictReader(src):
            when = row["ts"]
            try:
                stamp = dt.datetime.fromisoformat(when.replace("Z", "+00:00"))
                when = stamp.astimezone(dt.UTC).strftime("%d.%m.%Y %H:%M")
            except ValueError:
                pass  # the synthetic file's bad rows stay bad
            event = team_event(row["event"]) if row["event"] else ""
            writer.writerow([row["customer_id"], when, event, row["channel"]])
    book = Workbook()
    sheet = book.active
    with data["customers"].open(encoding="utf-8") as src:
        for row in csv.reader(src):
            sheet.append(row)
    workbook = folder / "customers.xlsx"
    book.save(workbook)
    return {"events": events, "customers": workbook, "surveys": data["surveys"],
            "original": data["events"]}  # fmt: skip
