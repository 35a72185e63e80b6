"""Pydantic models of the REST API, so /openapi.json says exactly what is sent and returned."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

from ..model import JourneyMap

#: A version number or id that fits a 32-bit SQL integer.
Number = Annotated[int, Field(ge=1, le=2_147_483_647)]


class ErrorOut(BaseModel):
    detail: str


class UserOut(BaseModel):
    id: int
    email: str
    name: str
    language: str


class WorkspaceOut(BaseModel):
    id: int
    name: str
    role: Literal["owner", "editor", "viewer"]


class MeOut(BaseModel):
    user: UserOut
    workspaces: list[WorkspaceOut]


class TemplateOut(BaseModel):
    name: str
    title: str
    scope: str
    languages: list[str]
    description: str


class MapSummary(BaseModel):
    id: int
    workspace_id: int
    title: str
    current_version: int
    created_at: dt.datetime
    updated_at: dt.datetime


class MapOut(MapSummary):
    role: Literal["owner", "editor", "viewer"]
    map: JourneyMap


class MapCreate(BaseModel):
    """Give a template (with a language), a map as JSON, or a map file's YAML text."""

    workspace_id: Number | None = Field(default=None, description="Default: your first workspace.")
    template: str | None = Field(default=None, description="A bundled template name.")
    language: Literal["en", "ru", "he", "pl"] = "en"
    map: JourneyMap | None = None
    yaml: str | None = Field(default=None, description="The text of a map file (YAML or JSON).")


class MapUpdate(BaseModel):
    base_version: Number = Field(description="The version this edit was based on.")
    map: JourneyMap
    message: str = Field(default="", max_length=500)


class EditIn(BaseModel):
    """One editor operation (the same ones the editor page posts)."""

    base_version: Number
    op: str = Field(description="map, persona, add_persona, step, move_step, add_kpi, ...")
    fields: dict[str, str] = Field(default_factory=dict)


class ChangeOut(BaseModel):
    action: str
    kind: str
    id: str
    name: str
    field: str | None
    section: str
    sentence: str


class StaleOut(BaseModel):
    detail: str
    base_version: int
    current_version: int
    changes: list[ChangeOut]


class VersionOut(BaseModel):
    number: int
    author: str | None
    message: str
    created_at: dt.datetime


class RestoreIn(BaseModel):
    base_version: Number


class CommentIn(BaseModel):
    element_id: str = Field(min_length=1, max_length=80)
    body: str = Field(min_length=1, max_length=10_000, description="@Name mentions a member.")
    parent_id: int | None = Field(default=None, description="Reply in this comment's thread.")


class CommentOut(BaseModel):
    id: int
    element_id: str
    author: str | None
    body: str
    created_at: dt.datetime
    parent_id: int | None = None
    resolved_at: dt.datetime | None = None
    mentions: list[str] = Field(default_factory=list, description="Names of members mentioned.")
    author_id: int | None = None


class ResolveIn(BaseModel):
    resolved: bool = True


class AnalysisOut(BaseModel):
    id: int
    map_id: int
    map_version: int
    filename: str
    size: int
    status: Literal["queued", "running", "done", "failed"]
    progress: float
    error: str | None
    created_at: dt.datetime
    finished_at: dt.datetime | None


class AnalysisResultOut(AnalysisOut):
    result: dict[str, Any] | None
    quarantine: dict[str, Any] | None
    insights: dict[str, Any] | None
    step_metrics: dict[str, dict[str, str | float]] | None


class DecisionIn(BaseModel):
    pain_point: str = Field(min_length=1, max_length=600)
    status: Literal["open", "accepted", "dismissed"]
    owner: str | None = Field(default=None, max_length=200)
    opportunity_id: str | None = Field(default=None, max_length=80)
    note: str = Field(default="", max_length=10_000)


class PainPointOut(BaseModel):
    key: str
    source: Literal["evidence", "map"] = Field(
        description="evidence = detected in the events by journeyscope.insights; map = written"
    )
    kind: str | None
    segment: str | None
    customers_affected: int | None
    priority: float | None
    step_id: str
    step_name: str
    text: str
    rank: int
    score: float | None
    status: Literal["open", "accepted", "dismissed"]
    owner: str | None
    opportunity_id: str | None
    note: str


class TokenIn(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    scope: Literal["read", "write"] = Field(
        default="read", description="read: GET requests only (other methods get 403); write: all."
    )
    days: float | None = Field(
        default=None, gt=0, description="Days the token is valid (default 90; at most 366)."
    )


class TokenOut(BaseModel):
    id: int
    name: str
    created_at: dt.datetime
    last_used_at: dt.datetime | None = Field(description="Noted at most once a minute.")
    scope: Literal["read", "write"]
    expires_at: dt.datetime | None


class NewTokenOut(TokenOut):
    token: str = Field(description="Shown once; only its hash is stored.")
