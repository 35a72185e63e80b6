"""What the workspace tells a user when a file lacks a column: the loader's own sentence, without
the command line's advice (an option means nothing in a browser) and without server paths."""

from __future__ import annotations

from pathlib import Path

import pytest

from journeyscope.events import ColumnMapping, load_events
from journeyscope.web.evidence import user_message


def _error(**kwargs: object) -> ValueError:
    with pytest.raises(ValueError) as caught:
        load_events(**kwargs).con.close()  # type: ignore[arg-type]
    return caught.value


def test_a_missing_column_is_told_without_command_line_options(tmp_path: Path) -> None:
    events = tmp_path / "events.csv"
    events.write_text("Client,When,What\nc1,2026-01-01 10:00,visit\n")
    customers = tmp_path / "people.csv"
    customers.write_text("Person,region\nc1,north\n")
    names = {str(tmp_path): "your files"}

    missing_events = user_message(_error(source=events), names)
    assert "--map" not in missing_events and str(tmp_path) not in missing_events
    assert "Data page" in missing_events

    mapping = ColumnMapping(customer_id="Client", ts="When", event="What")
    missing_id = user_message(_error(source=events, mapping=mapping, customers=customers), names)
    assert "--customers-id" not in missing_id and str(tmp_path) not in missing_id
    assert "'customer_id'" in missing_id and "Data page" in missing_id
