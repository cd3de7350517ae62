"""Properties: an amount written in any convention reads back exactly; dates read back; implausible dates are rejected."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scorecard.ingest import IngestOptions, preview_file
from scorecard.ingest.values import DecimalMark, parse_amounts, parse_dates
from tests.factories_ingest import csv_bytes

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
AS_OF = datetime(2026, 11, 23, 12, 0)

# (decimal mark, digit grouping) as exports write them.
CONVENTIONS = {
    "us": (".", ","),
    "plain-point": (".", ""),
    "swiss": (".", "'"),
    "space-point": (".", " "),
    "indian": (".", "lakh"),
    "european": (",", "."),
    "plain-comma": (",", ""),
    "french": (",", "\u202f"),
    "nbsp": (",", "\u00a0"),
    "space-comma": (",", " "),
}
NEGATIVES = ["-{}", "({})", "{}-", "\u2212{}"]  # with a currency, "(" may sit inside it: $(5)
CURRENCIES = [("", None), ("${}", "$"), ("€{}", "EUR"), ("{} €", "EUR"), ("EUR {}", "EUR"), ("{} USD", "USD"), ("£{}", "GBP")]


def _group(digits: str, grouping: str) -> str:
    if not grouping or len(digits) <= 3:
        return digits
    if grouping == "lakh":  # 12,34,567: the last three, then pairs
        head, tail = digits[:-3], digits[-3:]
        pairs = [head[max(0, i - 2):i] for i in range(len(head), 0, -2)][::-1]
        return ",".join([*pairs, tail])
    groups = [digits[max(0, i - 3):i] for i in range(len(digits), 0, -3)][::-1]
    return grouping.join(groups)


def write_amount(value: Decimal, convention: str, places: int) -> str:
    mark, grouping = CONVENTIONS[convention]
    whole, _, cents = f"{abs(value):.{places}f}".partition(".")
    text = _group(whole, grouping) + (mark + cents if places else "")
    return text


amounts = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("99999999.99"), places=2)


@SETTINGS
@given(
    values=st.lists(amounts, min_size=1, max_size=8),
    convention=st.sampled_from(sorted(CONVENTIONS)),
    places=st.sampled_from([0, 1, 2]),
    signs=st.lists(st.booleans(), min_size=8, max_size=8),
    negative=st.sampled_from(NEGATIVES),
    currency=st.sampled_from(CURRENCIES),
)
def test_an_amount_in_any_convention_reads_back_exactly(
    values: list[Decimal], convention: str, places: int, signs: list[bool], negative: str, currency: tuple[str, str | None]
) -> None:
    pattern, code = currency
    expected, written = [], []
    for value, is_negative in zip(values, signs, strict=False):
        value = value.quantize(Decimal(1).scaleb(-places)) if places else value.quantize(Decimal(1))
        text = write_amount(value, convention, places)
        text = negative.format(text) if is_negative else text
        written.append(pattern.format(text) if pattern else text)
        expected.append(float(-value if is_negative else value))
    series = pl.Series(written, dtype=pl.String)
    parsed = parse_amounts(series)
    mark: DecimalMark = "comma" if CONVENTIONS[convention][0] == "," else "point"
    if parsed.ambiguous:
        # Every separated value reads both ways ("1,234"): the file must say, and then it reads exactly.
        assert parsed.examples and all(e in written for e in parsed.examples)
        parsed = parse_amounts(series, mark)
    elif any("." in text or "," in text for text in written):
        assert parsed.decimal == CONVENTIONS[convention][0], written
    assert not parsed.bad.any(), (written, parsed.reason.to_list())
    assert parsed.values.to_list() == expected, written
    assert parsed.currency.to_list() == [code] * len(written)


@SETTINGS
@given(value=amounts, convention=st.sampled_from(sorted(CONVENTIONS)))
def test_the_decided_mark_is_never_the_wrong_one(value: Decimal, convention: str) -> None:
    """With a cents part, every convention decides itself, and decides right."""
    text = write_amount(value, convention, 2)
    parsed = parse_amounts(pl.Series([text]))
    assert not parsed.ambiguous
    assert parsed.decimal == CONVENTIONS[convention][0]
    assert parsed.values.to_list() == [float(value)]


FORMATS = {
    "iso": ("%Y-%m-%d %H:%M", None),
    "iso-t": ("%Y-%m-%dT%H:%M:%S", None),
    "us": ("%m/%d/%Y %I:%M %p", "monthfirst"),
    "eu": ("%d/%m/%Y %H:%M", "dayfirst"),
    "dotted": ("%d.%m.%Y %H:%M", "dayfirst"),
    "day-month-name": ("%d-%b-%Y", None),
    "month-name-day": ("%b %d, %Y %I:%M %p", None),
}
moments = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2026, 11, 23)).map(lambda d: d.replace(second=0, microsecond=0))


@SETTINGS
@given(values=st.lists(moments, min_size=1, max_size=6), fmt=st.sampled_from(sorted(FORMATS)))
def test_a_date_in_any_format_reads_back(values: list[datetime], fmt: str) -> None:
    pattern, order = FORMATS[fmt]
    written = [v.strftime(pattern) for v in values]
    parsed = parse_dates(pl.Series(written), order=None, zone="UTC")
    if parsed.ambiguous:
        parsed = parse_dates(pl.Series(written), order=order, zone="UTC")  # type: ignore[arg-type]
    else:
        assert parsed.order in (None, order), written
    expected = [v if "%H" in pattern or "%I" in pattern else v.replace(hour=0, minute=0) for v in values]
    assert parsed.values.to_list() == expected, written


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    offsets=st.lists(st.integers(min_value=-40 * 365 * 24, max_value=9000 * 365 * 24), min_size=1, max_size=6),
)
def test_implausible_dates_are_rejected_with_a_reason_and_the_rest_kept(offsets: list[int]) -> None:
    """A row is rejected exactly when its date is before 2000 or more than a day after the upload."""
    whens = []
    for hours in offsets:
        try:
            whens.append(AS_OF + timedelta(hours=hours))
        except OverflowError:
            whens.append(datetime(9999, 12, 31))
    rows = [["Ana", w.strftime("%Y-%m-%d %H:%M"), "Call", str(i)] for i, w in enumerate(whens)]
    rows.append(["Ana", "2026-11-20 10:00", "Call", "anchor"])  # one good row, so the file is never refused whole
    preview = preview_file("d.csv", csv_bytes(["rep", "date", "type", "id"], rows), IngestOptions(as_of=AS_OF))
    bad = {i + 2 for i, w in enumerate(whens) if w < datetime(2000, 1, 1) or w > AS_OF + timedelta(days=1)}
    assert set(preview.rejects["line_no"].to_list()) == bad
    for reason in preview.rejects["reason"].to_list():
        assert "before 2000" in reason or "more than a day after this upload (2026-11-23 12:00)" in reason
    assert preview.rows - preview.rejects.height == len(rows) - len(bad)
