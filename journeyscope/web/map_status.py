"""A map's evidence status — fresh, stale (with its reasons) or unknown — worked out from the
staleness check of its newest stored evaluation, told in plain words in the reader's language,
and announced to the map's owners and watchers when the map turns stale.

Nothing here computes evidence: the staleness is the one the evaluation stored
(``Evaluation.insights.staleness``, see :mod:`journeyscope.insights.staleness`).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import Any

from ..model import JourneyMap
from ..notify import NotifyConfig, group_by_language, notify
from ..store import MapStatusInfo, NotFound, Store
from .i18n import translator

__all__ = ["describe_status", "reason_sentences", "refresh_all", "refresh_map_status"]

log = logging.getLogger(__name__)
Translate = Callable[..., str]


def _reasons_of(insights: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """(state, the facts behind it) from a stored insights document."""
    staleness = insights.get("staleness") or {}
    state = staleness.get("status") or "unknown"
    missed = [
        str(k.get("name") or k.get("kpi"))
        for k in insights.get("kpis") or []
        if k.get("status") == "missed"
    ]
    facts = {
        "split": staleness.get("split"),
        "journeys": [staleness.get("journeys_before", 0), staleness.get("journeys_after", 0)],
        "new_events": [
            {"event": e.get("event"), "share": e.get("share_after")}
            for e in staleness.get("new_unmapped") or []
        ],
        "steps": [
            {
                "step": c.get("step"),
                "measure": c.get("measure"),
                "before": c.get("before"),
                "after": c.get("after"),
            }
            for c in staleness.get("step_changes") or []
        ],
        "variants_drifted": any("variant mix" in str(r) for r in staleness.get("reasons") or []),
        "new_channels": [
            {"channel": c.get("channel"), "share": c.get("share_after")}
            for c in staleness.get("new_channels") or []
        ],
        "kpis_missed": missed if staleness.get("kpi_breaches") else [],
        "feelings": [g.get("step") for g in staleness.get("emotion_gaps") or []],
        "aged": len(staleness.get("stale_elements") or []),
    }
    return (state if state in ("fresh", "stale", "unknown") else "unknown"), facts


def _pct(value: Any) -> str:
    return f"{float(value or 0):.0%}"


def reason_sentences(
    facts: dict[str, Any], _: Translate, journey: JourneyMap | None = None
) -> list[str]:
    """The reasons of a stale map as short sentences in the translator's language."""
    names = _step_names(journey)
    out = [_("mapstatus.reason.new_event", event=e["event"], share=_pct(e["share"]))
           for e in facts.get("new_events", [])]  # fmt: skip
    for change in facts.get("steps", []):
        key = (
            "mapstatus.reason.conversion"
            if change["measure"] == "conversion"
            else "mapstatus.reason.reach"
        )
        step = names.get(str(change["step"]), str(change["step"]))
        out.append(_(key, step=step, before=_pct(change["before"]), after=_pct(change["after"])))
    if facts.get("variants_drifted"):
        out.append(_("mapstatus.reason.routes"))
    out += [_("mapstatus.reason.new_channel", channel=c["channel"], share=_pct(c["share"]))
            for c in facts.get("new_channels", [])]  # fmt: skip
    out += [_("mapstatus.reason.kpi", kpi=name) for name in facts.get("kpis_missed", [])]
    out += [_("mapstatus.reason.feeling", step=names.get(str(s), str(s)))
            for s in facts.get("feelings", [])]  # fmt: skip
    if facts.get("aged"):
        out.append(_("mapstatus.reason.aged", n=facts["aged"]))
    return out


def _step_names(journey: JourneyMap | None) -> dict[str, str]:
    if journey is None:
        return {}
    return {step.id: step.name for stage in journey.stages for step in stage.steps}


def short_date(value: dt.datetime | None, _: Translate) -> str:
    """``14 Nov`` in the translator's language (the month from the catalogue)."""
    if value is None:
        return ""
    return _(
        "mapstatus.date", day=value.day, month=_(f"mapstatus.month.{value.month}"), year=value.year
    )


def describe_status(
    status: MapStatusInfo | None, _: Translate, journey: JourneyMap | None = None
) -> dict[str, Any]:
    """What the badge shows: ``state``, a ``label`` and the ``reasons`` as sentences."""
    if status is None:
        return {"state": "none", "label": _("mapstatus.none"), "reasons": [], "title": ""}
    reasons = reason_sentences(status.reasons, _, journey) if status.state == "stale" else []
    label = {
        "stale": _("mapstatus.stale", date=short_date(status.since, _)),
        "fresh": _("mapstatus.fresh", date=short_date(status.checked_at, _)),
    }.get(status.state, _("mapstatus.unknown"))
    summary = label + (": " + "; ".join(reasons) if reasons else "")
    return {"state": status.state, "label": label, "reasons": reasons, "title": summary}


def refresh_map_status(
    store: Store, settings: NotifyConfig, map_id: int, *, force: bool = False
) -> MapStatusInfo | None:
    """Read the staleness of the map's newest evaluation into its status; when the map has
    just turned stale (or a newer evaluation finds it stale for other reasons) tell its owners
    and watchers. Without a finished evaluation the map has no status (None)."""
    latest = store.latest_analysis(map_id)
    if latest is None or not latest.insights:
        return store.map_status(map_id)
    known = store.map_status(map_id)
    if known is not None and known.analysis_id == latest.id and not force:
        return known
    state, facts = _reasons_of(latest.insights)
    before, now = store.set_map_status(map_id, state, facts, latest.id)
    turned = now.state == "stale" and (
        before is None or before.state != "stale" or before.reasons != now.reasons
    )
    if turned:
        _announce(store, settings, map_id, now)
    return now


def _announce(store: Store, settings: NotifyConfig, map_id: int, status: MapStatusInfo) -> None:
    try:
        journey, _version = store.load_journey(map_id)
    except NotFound:
        return
    # the team's channel (webhook) hears it once, in the first group's language
    groups = group_by_language(store, store.map_audience(map_id)) or {"en": []}
    for number, (lang, recipients) in enumerate(groups.items()):
        _ = translator(lang)
        reasons = "; ".join(reason_sentences(status.reasons, _, journey))
        notify(
            store,
            settings,
            recipients,
            kind="stale",
            subject=_("mapstatus.notify_subject", map=journey.title),
            body=_("mapstatus.stale", date=short_date(status.since, _)) + ": " + reasons,
            url=f"/maps/{map_id}",
            map_id=map_id,
            webhook=number == 0,
        )


def refresh_all(store: Store, settings: NotifyConfig) -> int:
    """One scheduled round: every map whose newest evaluation is not yet in its status."""
    changed = 0
    for map_id in store.all_map_ids():
        try:
            before = store.map_status(map_id)
            after = refresh_map_status(store, settings, map_id)
        except Exception:  # one map's trouble must not stop the round
            log.warning("status of map %s could not be refreshed", map_id, exc_info=True)
            continue
        changed += int(after is not None and after != before)
    return changed
