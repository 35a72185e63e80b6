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


@pytest.mark.parametrize("lang", ["en", "ru", "he", "pl"])
def test_an_improvement_verdict_tells_no_data_at_all_from_no_data_before_the_launch(
    lang: str,
) -> None:
    """A KPI that counts nothing in the data is not "no data from before the launch": the
    reader is told to bind the events it counts, in their own language."""
    from journeyscope.web.i18n import translator
    from journeyscope.web.words import Words

    words = Words(translator(lang), {})
    nothing = words.verdict({"periods_before": 0, "periods_after": 0})
    before = words.verdict({"periods_before": 0, "periods_after": 3})
    after = words.verdict({"periods_before": 3, "periods_after": 0})
    assert len({nothing, before, after}) == 3
    assert not any(text.startswith("verdict.") for text in (nothing, before, after))
    english = Words(translator("en"), {})
    if lang == "en":
        assert "counts nothing" in nothing and "before the launch" in before
    else:
        assert nothing != english.verdict({"periods_before": 0, "periods_after": 0})
