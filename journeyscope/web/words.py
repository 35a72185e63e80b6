"""Sentences for people from the structured fields of a stored evaluation, in the page's language.

The engine's output stays structured (kinds, rates, counts, p-values); the words are made here,
at display, from the catalogues in ``i18n/evidence`` — never from the engine's own English text.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from ..insights import StalenessOptions
from ..insights.pain_points import PainPointOptions

__all__ = ["Words"]

Translate = Callable[..., str]

#: quarantine reasons the loaders write, and the catalogue key saying each to a person
_REASONS = {
    "missing customer id": "missing_customer",
    "missing event name": "missing_event",
    "missing timestamp": "missing_time",
    "unparseable timestamp": "bad_time",
    "duplicate customer id": "duplicate_customer",
    "missing score": "missing_score",
    "unparseable score": "bad_score",
    "unknown survey kind": "unknown_kind",
    "score outside the scale": "score_outside",
    "no touchpoint, event or step": "no_target",
    "not a JSON object": "not_json",
    "not UTF-8 text": "not_utf8",
}
_OPTIONS = PainPointOptions()  # the thresholds the workspace's evaluations run with
_STALENESS = StalenessOptions()


def _pct(share: float | None) -> str:
    return "—" if share is None else f"{share:.0%}"


def _num(value: float | None, digits: int = 0) -> str:
    if value is None:
        return "—"
    return f"{value:,.{digits}f}"


class Words:
    """What a page says about the numbers: ``words.pain_point(p)`` and friends."""

    def __init__(self, translate: Translate, names: dict[str, str]):
        self._ = translate
        self.names = names  # element id -> its name on the map

    def name(self, element: str | None) -> str:
        return self.names.get(element or "", element or "")

    def path(self, steps: list[str]) -> str:
        """A journey's steps by name, in reading order."""
        return self._("words.arrow").join(self.name(s) for s in steps)

    def pct(self, share: float | None) -> str:
        return _pct(share)

    def num(self, value: float | None, digits: int = 0) -> str:
        return _num(value, digits)

    def reason(self, reason: str) -> str:
        """A quarantine reason as a sentence."""
        if reason.startswith("malformed CSV row"):
            return self._("quarantine.r.malformed")
        if reason.startswith("timestamp outside"):
            return self._("quarantine.r.time_outside")
        key = _REASONS.get(reason)
        return self._(f"quarantine.r.{key}") if key else self._("quarantine.r.other")

    def location(self, location: str) -> str:
        kind, _, number = location.partition(" ")
        if kind in ("row", "line") and number.isdigit():
            return self._(f"quarantine.{kind}", n=number)
        return location

    def segment(self, segment: str | None) -> str:
        """``all`` or ``attribute=value`` as words."""
        if not segment or segment == "all":
            return self._("words.segment.all")
        attribute, _, value = segment.partition("=")
        if attribute == "persona":
            value = self.name(value)
        return self._("words.segment.some", attribute=attribute, value=value)

    def pain_point(self, p: dict[str, Any]) -> str:
        """A finding as a sentence: ``64% of customers search the tour list three times...``"""
        e, kind = p.get("evidence") or {}, p.get("kind", "")
        steps = p.get("steps") or [p.get("element")]
        values = {
            "step": self.name(p.get("element")),
            "first": self.name(steps[0]),
            "rate": _pct(e.get("rate")),
            "hits": _num(e.get("hits", p.get("customers_affected"))),
            "journeys": _num(e.get("journeys")),
            "customers": _num(p.get("customers_affected")),
            "times": _OPTIONS.loop_times,
            "repeat": _OPTIONS.repeat_times,
            "days": _num(_OPTIONS.repeat_window_days),
            "negative": _num(e.get("negative")),
            "comments": _num(e.get("comments")),
            "mean": _num(e.get("mean"), 1),
            "answers": _num(e.get("answers")),
            "event": p.get("element") or "",
        }
        key = f"pp.{kind}"
        text = self._(key, **values)
        if text == key:  # a plugin's kind: its name and how many it touches
            text = self._("pp.other", kind=kind.replace("_", " "), **values)
        return text

    def kind(self, kind: str) -> str:
        key = f"pp.kind.{kind}"
        text = self._(key)
        return kind.replace("_", " ") if text == key else text

    def money(self, p: dict[str, Any]) -> list[str]:
        out = []
        if p.get("value_at_risk"):
            out.append(self._("words.value_at_risk", money=_num(p["value_at_risk"]),
                              lost=_num(p.get("lost_customers"), 1)))  # fmt: skip
        if p.get("handling_cost"):
            out.append(self._("words.handling_cost", money=_num(p["handling_cost"])))
        return out

    def kpi_value(self, kpi: dict[str, Any], value: float | None) -> str:
        if value is None:
            return "—"
        if kpi.get("unit") == "%":
            return _pct(value)
        return _num(value, 2 if abs(value) < 100 else 0) + (
            f" {kpi['unit']}" if kpi.get("unit") else ""
        )

    def kpi_status(self, kpi: dict[str, Any]) -> str:
        status = kpi.get("status") or "no_data"
        return self._(f"kpi.status.{status}", target=self.kpi_value(kpi, kpi.get("target")))

    def trend(self, kpi: dict[str, Any]) -> str:
        return self._(f"kpi.trend.{kpi.get('trend') or 'unknown'}")

    def verdict(self, effect: dict[str, Any], kpi: dict[str, Any] | None = None) -> str:
        """An improvement's verdict from its fields (not the engine's sentence); with the
        KPI, its values are written in the KPI's unit (20% rather than 0.20)."""
        if not effect.get("periods_before") and not effect.get("periods_after"):
            return self._("verdict.no_data")  # the KPI counts nothing in this data at all
        if not effect.get("periods_before"):
            return self._("verdict.no_before")
        if not effect.get("periods_after"):
            return self._("verdict.no_after")
        if effect.get("p_value") is None:
            return self._("verdict.too_few")
        if kpi is not None:
            before, after = (
                self.kpi_value(kpi, effect.get("before")),
                self.kpi_value(kpi, effect.get("after")),
            )
        else:
            before, after = _num(effect.get("before"), 2), _num(effect.get("after"), 2)
        values = {"before": before, "after": after, "p": f"{effect['p_value']:.2g}"}
        if not effect.get("significant"):
            return self._("verdict.not_significant", **values)
        return self._("verdict.better" if effect.get("better") else "verdict.worse", **values)

    def staleness(
        self, s: dict[str, Any] | None, kpis: list[dict[str, Any]] | None = None
    ) -> list[str]:
        """Why a map is stale, one sentence per reason, from the structured fields (a missed
        KPI from the KPI list: the staleness keeps those as English text only)."""
        if not s:
            return []
        _ = self._
        out = [_("stale.new_event", event=u.get("event", ""), share=_pct(u.get("share_after")))
               for u in s.get("new_unmapped") or []]  # fmt: skip
        out += [_("stale.step_change", step=self.name(c.get("step")),
                  before=_pct(c.get("before")), after=_pct(c.get("after")))
                for c in s.get("step_changes") or []]  # fmt: skip
        if (s.get("variant_distance") or 0) >= _STALENESS.max_distance:
            out.append(_("stale.variants", distance=_num(s["variant_distance"], 2)))
        out += [_("stale.channel", channel=str(c.get("channel")), share=_pct(c.get("share_after")))
                for c in s.get("new_channels") or []]  # fmt: skip
        out += [_("stale.kpi", kpi=k.get("name", ""), last=self.kpi_value(k, k.get("last")),
                  target=self.kpi_value(k, k.get("target")))
                for k in kpis or [] if k.get("status") == "missed" and k.get("last") is not None
                and k.get("target") is not None]  # fmt: skip
        out += [_("stale.feeling", step=self.name(g.get("step")),
                  measured=_num(g.get("measured"), 1), drawn=_num(g.get("drawn"), 1),
                  answers=_num(g.get("answers")))
                for g in s.get("emotion_gaps") or []]  # fmt: skip
        if s.get("stale_elements"):
            out.append(_("stale.elements", n=len(s["stale_elements"])))
        return out

    def analysis_error(self, error: str | None) -> str:
        """A failed analysis's reason: a missing column in words of the page, else as kept."""
        found = re.search(r"no column '([^']*)' for the ([a-z_]+)\. Add the file on the Data",
                          error or "")  # fmt: skip
        if not found:
            return error or ""
        role = self._(f"mapping.field.{found[2]}")
        return self._("analysis.missing_column", column=found[1], role=role)

    def status(self, s: dict[str, Any] | None) -> str:
        state = (s or {}).get("status") or "unknown"
        return self._(f"stale.status.{re.sub(r'[^a-z_]', '_', state)}")


def names_of(result: dict[str, Any] | None, journey: Any = None) -> dict[str, str]:
    """Element id -> name: the map's steps, stages, touchpoints and personas."""
    names: dict[str, str] = {}
    if journey is not None:
        for persona in journey.personas:
            names[persona.id] = persona.name
        for stage in journey.stages:
            names[stage.id] = stage.name
            for step in stage.steps:
                names[step.id] = step.name
                for tp in step.touchpoints:
                    names[tp.id] = tp.name
    for step in (result or {}).get("steps", []):
        names.setdefault(step["id"], step["name"])
    return names
