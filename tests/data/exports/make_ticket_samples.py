"""Write the help-desk samples of this folder (run once; the files are committed).

``freshdesk.csv``: Freshdesk's ticket export (Tickets, Export, CSV) with the ticket fields it
offers (Ticket ID, Subject, Status, Priority, Source, Type, Agent, Group, Created time, ...,
Survey results) and the contact's (Full name, Email, Contact ID, Unique External ID); times
in the help desk's zone as ``2024-06-03 09:15:22``; a survey result as its label on the
seven-point scale. ``intercom.csv``: Intercom's conversation report export, the time zone in
the time columns' headers, ``Conversation rating`` 1-5 and its remark.
``python tests/data/exports/make_ticket_samples.py``
"""

from __future__ import annotations

import csv
from pathlib import Path

HERE = Path(__file__).resolve().parent

FRESHDESK = [
    "Ticket ID", "Subject", "Status", "Priority", "Source", "Type", "Agent", "Group",
    "Created time", "Due by Time", "Resolved time", "Closed time", "Last update time",
    "Initial response time", "Time tracked", "First response time (in hrs)",
    "Resolution time (in hrs)", "Agent interactions", "Customer interactions",
    "Resolution status", "First response status", "Tags", "Survey results", "Product",
    "Full name", "Email", "Contact ID", "Unique External ID",
]  # fmt: skip


def _ticket(tid, subject, status, source, created, resolved, survey, name, email, contact,
            external=""):  # type: ignore[no-untyped-def]  # fmt: skip
    return {
        "Ticket ID": tid, "Subject": subject, "Status": status, "Priority": "Medium",
        "Source": source, "Type": "Question", "Agent": "Maya Patel", "Group": "Billing",
        "Created time": created, "Due by Time": "2024-06-05 17:00:00",
        "Resolved time": resolved, "Closed time": resolved, "Last update time": resolved or created,
        "Initial response time": created, "Time tracked": "00:12:00",
        "First response time (in hrs)": "0.5",
        "Resolution time (in hrs)": "3.25" if resolved else "",
        "Agent interactions": "2", "Customer interactions": "1",
        "Resolution status": "Within SLA" if resolved else "",
        "First response status": "Within SLA",
        "Tags": "refund,priority-customer", "Survey results": survey, "Product": "Shop",
        "Full name": name, "Email": email, "Contact ID": contact, "Unique External ID": external,
    }  # fmt: skip


def write_freshdesk() -> None:
    rows = [
        _ticket("1001", "Refund for order 77", "Closed", "Email", "2024-06-03 09:15:22",
                "2024-06-03 12:30:00", "Extremely happy", "Ada Lovelace", "ada@example.com",
                "43000001", "u-42"),
        _ticket("1002", "Where is my parcel?", "Resolved", "Phone", "2024-06-03 10:00:00",
                "2024-06-04 08:00:00", "Unhappy", "Bob Stone", "bob@example.com", "43000002"),
        _ticket("1003", "Login fails", "Open", "Chat", "2024-06-04 14:05:10", "", "",
                "Cy Twombly", "", "43000003"),
        _ticket("1004", "Invoice copy", "Closed", "Portal", "2024-06-04 16:45:00",
                "2024-06-04 17:00:00", "Neutral", "Ada Lovelace", "ada@example.com",
                "43000001", "u-42"),
        _ticket("1005", "Feedback on the app", "Closed", "Feedback Widget", "yesterday",
                "2024-06-05 09:00:00", "Very unhappy", "Dee Dee", "dee@example.com", "43000004"),
        _ticket("1006", "Spam", "Closed", "Email", "2024-06-05 11:00:00", "2024-06-05 11:01:00",
                "", "", "", ""),
    ]  # fmt: skip
    with (HERE / "freshdesk.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, FRESHDESK, lineterminator="\r\n")
        writer.writeheader()
        writer.writerows(rows)


INTERCOM = [
    "Conversation ID", "Conversation started at (Europe/London)", "Updated at (Europe/London)",
    "Started by", "Conversation source", "Current conversation state",
    "Team currently assigned", "Teammate currently assigned", "User ID", "User name", "Email",
    "Company name", "Conversation rating", "Conversation rating remark",
]  # fmt: skip


def write_intercom() -> None:
    rows = [
        ["1911149811", "2024-06-05 11:00:00", "2024-06-05 12:13:20", "User", "Chat", "Closed",
         "Support", "Jo Kim", "u-42", "Ada Lovelace", "ada@example.com", "Analytical Ltd", "4",
         "Sorted in minutes"],
        ["1911149812", "2024-06-05 13:40:00", "2024-06-05 13:53:20", "Lead", "Email", "Closed",
         "Support", "Jo Kim", "", "", "lead@example.com", "", "1", ""],
        ["1911149813", "2024-06-06 08:00:00", "2024-06-06 09:00:00", "User", "Chat", "Open",
         "Sales", "", "u-50", "Eve Moss", "eve@example.com", "", "", ""],
        ["1911149814", "", "2024-06-06 10:00:00", "User", "Chat", "Open", "Sales", "", "u-51",
         "Fay Wray", "fay@example.com", "", "", ""],
    ]  # fmt: skip
    with (HERE / "intercom.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(INTERCOM)
        writer.writerows(rows)


if __name__ == "__main__":
    write_freshdesk()
    write_intercom()
