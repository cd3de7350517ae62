"""Team settings: stored as JSON in the `settings` table, validated on save."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from datetime import date, time
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays

from scorecard.rollups import sync_week_start
from scorecard.store import Reads, Store, upsert

WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


class InvalidSetting(ValueError):
    """A setting failed validation; `field` names which one."""

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(f"{field_name}: {message}")
        self.field = field_name
        self.message = message


@dataclass(frozen=True)
class TeamSettings:
    timezone: str = "America/New_York"
    week_start: int = 0  # 0 = Monday, as datetime.weekday()
    working_days: tuple[int, ...] = (0, 1, 2, 3, 4)
    day_start: time = time(9, 0)
    day_end: time = time(17, 0)
    holiday_country: str | None = "US"
    holiday_subdivision: str | None = None
    custom_holidays: tuple[date, ...] = ()
    # Pace thresholds (docs/pace.md, "Status").
    on_pace_at: float = 1.0
    at_risk_from: float = 0.8
    # Team gap rule (docs/team-gaps.md).
    team_gap_pace_below: float = 0.9
    team_gap_share_behind: float = 2 / 3
    # Red flags: consecutive completed weeks missed.
    flag_after_weeks: int = 2
    # Contest sizing.
    gross_margin: float = 0.7
    contest_share: float = 0.2
    # Funnel derivation.
    shrinkage_k: float = 10.0
    rate_window_weeks: int = 13
    currency: str = "$"
    # Rep scorecards open only from each rep's signed link (docs/security.md).
    private_links: bool = False
    # The stand-up screen: add a slide with the manager's own scorecard (lead from the front).
    leader_on_standup: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def validated(self) -> TeamSettings:
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise InvalidSetting("timezone", f"unknown time zone {self.timezone!r}; use an IANA name such as Europe/Madrid") from exc
        if not 0 <= self.week_start <= 6:
            raise InvalidSetting("week_start", "must be a weekday number 0 (Monday) to 6 (Sunday)")
        if not self.working_days or any(not 0 <= d <= 6 for d in self.working_days):
            raise InvalidSetting("working_days", "choose at least one working day")
        if self.day_end <= self.day_start:
            raise InvalidSetting("day_end", "the business day must end after it starts")
        if self.holiday_country:
            try:
                holidays.country_holidays(self.holiday_country, subdiv=self.holiday_subdivision)
            except NotImplementedError as exc:
                raise InvalidSetting("holiday_country", f"no holiday calendar for {self.holiday_country!r}; use an ISO code such as US, GB, DE") from exc
        if not 0 < self.at_risk_from < self.on_pace_at:
            raise InvalidSetting("at_risk_from", "must be above 0 and below the on-pace threshold")
        if not 0 < self.team_gap_pace_below <= 1.5:
            raise InvalidSetting("team_gap_pace_below", "must be between 0 and 1.5")
        if not 0 < self.team_gap_share_behind <= 1:
            raise InvalidSetting("team_gap_share_behind", "must be a share between 0 and 1")
        if self.flag_after_weeks < 1:
            raise InvalidSetting("flag_after_weeks", "must be at least 1 week")
        if not 0 < self.gross_margin <= 1:
            raise InvalidSetting("gross_margin", "must be a share between 0 and 1 (0.7 = 70%)")
        if not 0 < self.contest_share <= 1:
            raise InvalidSetting("contest_share", "must be a share between 0 and 1 (0.2 = 20%)")
        if self.shrinkage_k < 0:
            raise InvalidSetting("shrinkage_k", "must be zero or more")
        if self.rate_window_weeks < 1:
            raise InvalidSetting("rate_window_weeks", "must be at least 1 week")
        return self


def _encode(value: Any) -> Any:
    if isinstance(value, time):
        return value.strftime("%H:%M")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, tuple):
        return [_encode(v) for v in value]
    return value


def _decode(name: str, raw: Any) -> Any:
    if name in ("day_start", "day_end"):
        return time.fromisoformat(raw)
    if name == "custom_holidays":
        return tuple(date.fromisoformat(v) for v in raw)
    if name == "working_days":
        return tuple(int(v) for v in raw)
    return raw


_FIELDS = {f.name for f in dataclasses.fields(TeamSettings)}


def load_settings(store: Reads) -> TeamSettings:
    values: dict[str, Any] = {}
    for key, raw in store.fetchall("SELECT key, value FROM settings"):
        if key in _FIELDS:
            values[key] = _decode(key, json.loads(raw))
    return TeamSettings(**values)


def save_settings(store: Store, settings: TeamSettings) -> None:
    """Validate, then store every field in one transaction; invalid input changes nothing."""
    settings.validated()
    with store.write() as cur:
        for f in dataclasses.fields(TeamSettings):
            upsert(cur, "settings", ("key",), {"key": f.name, "value": json.dumps(_encode(getattr(settings, f.name)))})
        # Weekly rollups are cut on the week-start day: re-cut them in this same transaction.
        sync_week_start(cur, settings.week_start)
