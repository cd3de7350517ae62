"""Dates and amounts, decided per file."""

from __future__ import annotations

from datetime import datetime

import polars as pl
import pytest

from scorecard.ingest import AmbiguousDates, IngestOptions, ingest_bytes
from scorecard.ingest.values import parse_amounts, parse_dates
from scorecard.store import Store
from tests.factories_ingest import event_set


def dates(values: list[str | None], order: str | None = None, zone: str = "America/New_York") -> list[datetime | None]:
    return parse_dates(pl.Series(values, dtype=pl.String), order=order, zone=zone).values.to_list()  # type: ignore[arg-type]


def test_iso_with_and_without_time_and_offsets() -> None:
    assert dates(["2026-11-20", "2026-11-20 14:05", "2026-11-20T14:05:06", "2026-11-20T14:05:06.250"]) == [
        datetime(2026, 11, 20),
        datetime(2026, 11, 20, 14, 5),
        datetime(2026, 11, 20, 14, 5, 6),
        datetime(2026, 11, 20, 14, 5, 6, 250000),
    ]
    # Z and offsets are instants: converted to the team's zone, then naive.
    assert dates(["2026-11-20T15:00:00Z", "2026-11-20T16:00:00+01:00", "2026-07-01T12:00:00-04:00"]) == [
        datetime(2026, 11, 20, 10, 0),
        datetime(2026, 11, 20, 10, 0),
        datetime(2026, 7, 1, 12, 0),
    ]


def test_us_dates_with_12_hour_times() -> None:
    assert dates(["11/20/2026 4:12 PM", "1/2/2026 12:05 AM", "1/13/2026 12:30 pm"]) == [
        datetime(2026, 11, 20, 16, 12),
        datetime(2026, 1, 2, 0, 5),
        datetime(2026, 1, 13, 12, 30),
    ]


def test_day_first_decided_from_values() -> None:
    assert dates(["20/11/2026 16:12", "1/2/2026"]) == [datetime(2026, 11, 20, 16, 12), datetime(2026, 2, 1)]
    assert dates(["20.11.2026", "01.02.26 08:00"]) == [datetime(2026, 11, 20), datetime(2026, 2, 1, 8, 0)]


def test_ambiguous_file_is_flagged_and_option_resolves_it() -> None:
    parsed = parse_dates(pl.Series(["1/2/2026", "3/4/2026"]), order=None, zone="UTC")
    assert parsed.ambiguous and parsed.examples == ["1/2/2026", "3/4/2026"]
    assert dates(["1/2/2026", "3/4/2026"], "dayfirst") == [datetime(2026, 2, 1), datetime(2026, 4, 3)]
    assert dates(["1/2/2026", "3/4/2026"], "monthfirst") == [datetime(2026, 1, 2), datetime(2026, 3, 4)]


def test_month_names_and_invalid_dates() -> None:
    assert dates(["20-Nov-2026", "Nov 20, 2026 4:00 PM", "2 March 2026"]) == [
        datetime(2026, 11, 20),
        datetime(2026, 11, 20, 16, 0),
        datetime(2026, 3, 2),
    ]
    assert dates(["2026-02-30", "13/45/2026", "soon", "25:00 11/20/2026"]) == [None, None, None, None]


def test_ambiguous_upload_raises_and_options_work(store: Store) -> None:
    data = b"rep,date,type\nAna,01/02/2026,Call\nAna,03/04/2026,Call\n"
    with pytest.raises(AmbiguousDates) as err:
        ingest_bytes(store, "amb.csv", data)
    assert "amb.csv" in str(err.value) and "--dayfirst" in str(err.value)
    assert store.scalar("SELECT count(*) FROM batches") == 0
    ingest_bytes(store, "amb.csv", data, IngestOptions(date_order="dayfirst"))
    assert [e[1] for e in event_set(store)] == [datetime(2026, 2, 1), datetime(2026, 4, 3)]


def test_file_name_suffix_gives_the_order(store: Store) -> None:
    data = b"rep,date,type\nAna,01/02/2026,Call\n"
    ingest_bytes(store, "week.monthfirst.csv", data)
    assert event_set(store)[0][1] == datetime(2026, 1, 2)


def test_unambiguous_file_needs_no_option(store: Store) -> None:
    data = b"rep,date,type\nAna,01/02/2026,Call\nAna,25/02/2026,Call\n"
    ingest_bytes(store, "eu.csv", data)
    assert [e[1] for e in event_set(store)] == [datetime(2026, 2, 1), datetime(2026, 2, 25)]


@pytest.mark.parametrize(
    ("values", "expected", "decimal"),
    [
        (["$1,234.50", "(100)", "1 234", "-5", "5-", "USD 7", None, ""], [1234.5, -100.0, 1234.0, -5.0, -5.0, 7.0, None, None], "."),
        (["1.234,50 €", "1 234,50", "12,5", "1.000"], [1234.5, 1234.5, 12.5, 1000.0], ","),
        (["1\u00a0234,50", "€12"], [1234.5, 12.0], ","),
        (["1,234", "1,000,000"], [1234.0, 1000000.0], "."),
        (["1.234.567"], [1234567.0], ","),
    ],
)
def test_amounts(values: list[str | None], expected: list[float | None], decimal: str) -> None:
    parsed = parse_amounts(pl.Series(values, dtype=pl.String))
    assert parsed.values.to_list() == expected
    assert parsed.decimal == decimal
    assert not parsed.bad.any()


def test_bad_amounts_are_flagged() -> None:
    parsed = parse_amounts(pl.Series(["12", "abc", "1.2.3,4,5x"]))
    assert parsed.bad.to_list() == [False, True, True]
