"""Dates and amounts from text, vectorised over whole columns.

Day/month order and the decimal separator are properties of a file, so they
are decided from all of its values at once, never guessed per row.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

import polars as pl

DateOrder = Literal["dayfirst", "monthfirst"]

_TIME = r"(?:(?:T|\s+)(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?(?:\s*([AaPp])\.?[Mm]\.?)?)?\s*(Z|[+-]\d{2}:?\d{2})?$"
_NUMERIC = r"^(\d{1,4})([-/.])(\d{1,2})[-/.](\d{1,4})" + _TIME
_DAY_MONTH_NAME = r"^(\d{1,2})[-\s]([A-Za-z]{3,9})\.?[-\s,]+(\d{2,4})" + _TIME
_MONTH_NAME_DAY = r"^([A-Za-z]{3,9})\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})" + _TIME
_SERIAL = r"^\d{5}(?:\.\d+)?$"
_MONTHS = {
    name: str(i)
    for i, names in enumerate(
        [
            ("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"), ("may",),
            ("jun", "june"), ("jul", "july"), ("aug", "august"), ("sep", "sept", "september"),
            ("oct", "october"), ("nov", "november"), ("dec", "december"),
        ],
        start=1,
    )
    for name in names
}


@dataclass(frozen=True)
class ParsedDates:
    values: pl.Series  # Datetime("us"), naive team-local; null where unreadable
    order: DateOrder | None  # the order used for d/m/y-style values (None when none needed)
    ambiguous: bool  # d/m/y values exist, every one reads both ways, and no order was given
    examples: list[str]


def _time_exprs(parts: pl.Expr, first: int) -> tuple[pl.Expr, pl.Expr, pl.Expr, pl.Expr, pl.Expr]:
    def field(i: int) -> pl.Expr:
        return parts.struct.field(str(first + i))

    hour = field(0).cast(pl.Int32, strict=False).fill_null(0)
    ampm = field(4).str.to_lowercase()
    hour = (
        pl.when(ampm == "p").then(pl.when(hour == 12).then(12).otherwise(hour + 12))
        .when(ampm == "a").then(pl.when(hour == 12).then(0).otherwise(hour))
        .otherwise(hour)
    )
    bad_ampm = ampm.is_not_null() & ((field(0).cast(pl.Int32, strict=False) > 12) | (field(0).cast(pl.Int32, strict=False) == 0))
    minute = field(1).cast(pl.Int32, strict=False).fill_null(0)
    second = field(2).cast(pl.Int32, strict=False).fill_null(0)
    micro = field(3).str.slice(0, 6).str.pad_end(6, "0").cast(pl.Int32, strict=False).fill_null(0)
    return pl.when(bad_ampm).then(None).otherwise(hour), minute, second, micro, field(5)


def _assemble(year: pl.Expr, month: pl.Expr, day: pl.Expr, parts: pl.Expr, first_time: int, zone: str) -> pl.Expr:
    hour, minute, second, micro, offset = _time_exprs(parts, first_time)
    text = pl.format(
        "{}-{}-{} {}:{}:{}.{}",
        year.cast(pl.String).str.pad_start(4, "0"),
        month.cast(pl.String).str.pad_start(2, "0"),
        day.cast(pl.String).str.pad_start(2, "0"),
        hour.cast(pl.String).str.pad_start(2, "0"),
        minute.cast(pl.String).str.pad_start(2, "0"),
        second.cast(pl.String).str.pad_start(2, "0"),
        micro.cast(pl.String).str.pad_start(6, "0"),
    )
    naive = text.str.strptime(pl.Datetime("us"), "%Y-%m-%d %H:%M:%S%.f", strict=False)
    # An explicit offset (or Z) means the instant is known: move it into the team's zone.
    offset_min = (
        pl.when(offset == "Z").then(0)
        .otherwise(
            offset.str.slice(0, 1).replace_strict({"+": 1, "-": -1}, default=None, return_dtype=pl.Int32)
            * (offset.str.slice(1, 2).cast(pl.Int32, strict=False) * 60 + offset.str.slice(-2, 2).cast(pl.Int32, strict=False))
        )
    )
    utc = (naive - pl.duration(minutes=offset_min)).dt.replace_time_zone("UTC")
    local = utc.dt.convert_time_zone(zone).dt.replace_time_zone(None)
    return pl.when(offset.is_null()).then(naive).otherwise(local)


def _year(text: pl.Expr) -> pl.Expr:
    year = text.cast(pl.Int32, strict=False)
    return pl.when(text.str.len_chars() == 2).then(year + 2000).when(text.str.len_chars() == 4).then(year).otherwise(None)


_ORDER_PROBE = r"^(\d{1,2})([-/.])(\d{1,2})[-/.]\d"
_ISO_FORMATS = ("%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M", "%Y-%m-%d")
_DMY_TAILS = (" %I:%M %p", " %H:%M", " %H:%M:%S", "", " %I:%M:%S %p")


def _decide_order(s: pl.Series, order: DateOrder | None) -> tuple[DateOrder | None, bool, list[str], int]:
    """Day/month order from the file's own values: (order, ambiguous, examples, d/m/y-style count)."""
    probe = pl.DataFrame({"s": s}).select(pl.col("s").str.extract_groups(_ORDER_PROBE).alias("p"), "s")
    a = pl.col("p").struct.field("1").cast(pl.Int32, strict=False)
    b = pl.col("p").struct.field("3").cast(pl.Int32, strict=False)
    stats = probe.select(
        first_gt=(a > 12).sum(),
        second_gt=(b > 12).sum(),
        dotted=(pl.col("p").struct.field("2") == ".").sum(),
        dmy=a.is_not_null().sum(),
    ).row(0, named=True)
    if order is not None or not stats["dmy"]:
        return order, False, [], int(stats["dmy"])
    if stats["first_gt"] and not stats["second_gt"]:
        return "dayfirst", False, [], int(stats["dmy"])
    if stats["second_gt"] and not stats["first_gt"]:
        return "monthfirst", False, [], int(stats["dmy"])
    if stats["first_gt"] and stats["second_gt"]:
        # Both readings are proven by some rows: keep the majority, the rest are rejected as unreadable.
        chosen: DateOrder = "dayfirst" if stats["first_gt"] >= stats["second_gt"] else "monthfirst"
        return chosen, False, [], int(stats["dmy"])
    if stats["dotted"] == stats["dmy"]:
        return "dayfirst", False, [], int(stats["dmy"])  # d.m.y is the only dotted layout in use
    examples = probe.filter(a.is_not_null())["s"].head(3).to_list()
    return None, True, examples, int(stats["dmy"])


def _fast_formats(order: DateOrder | None) -> list[str]:
    formats = list(_ISO_FORMATS)
    if order is not None:
        day_month = "%d{0}%m{0}%Y" if order == "dayfirst" else "%m{0}%d{0}%Y"
        formats += [day_month.format(sep) + tail for sep in "/.-" for tail in _DMY_TAILS]
    return formats


def _formats_in_use(s: pl.Series, order: DateOrder | None) -> list[str]:
    """The fixed formats that read a sample of the column, most useful first (usually just one)."""
    sample = pl.DataFrame({"s": s.drop_nulls().gather_every(max(1, s.len() // 2000))})
    hits = sample.select(
        pl.col("s").str.strptime(pl.Datetime("us"), f, strict=False).is_not_null().sum().alias(str(i))
        for i, f in enumerate(_fast_formats(order))
    ).row(0)
    ranked = sorted((-n, i) for i, n in enumerate(hits) if n)
    return [_fast_formats(order)[i] for _, i in ranked]


def parse_dates(raw: pl.Series, *, order: DateOrder | None, zone: str, allow_serial: bool = False) -> ParsedDates:
    """Parse a column of date(-time) text. ISO, d/m/y, m/d/y, d.m.y, month names, Excel serials.

    Common layouts go through fixed strptime formats on the whole column; only
    the rows they miss go through the general regex reader.
    """
    s = raw.str.strip_chars()
    chosen, ambiguous, examples, dmy = _decide_order(s, order)
    col = pl.col("s")
    formats = _formats_in_use(s, chosen)
    fast = pl.coalesce([col.str.strptime(pl.Datetime("us"), f, strict=False) for f in formats] or [pl.lit(None, pl.Datetime("us"))])
    frame = pl.DataFrame({"s": s}).with_columns(fast.alias("d"))
    # chrono reads a 2-digit year as that year AD; leave those to the general reader.
    frame = frame.with_columns(pl.when(pl.col("d").dt.year() >= 1900).then(pl.col("d")).alias("d"))
    todo = frame["d"].is_null() & s.is_not_null() & (s != "")
    values = frame["d"]
    if todo.any():
        rest = _parse_general(s.filter(todo), chosen, zone, allow_serial)
        values = values.scatter(todo.arg_true(), rest)
    return ParsedDates(values=values, order=chosen if dmy else order, ambiguous=ambiguous, examples=examples)


def _parse_general(s: pl.Series, chosen: DateOrder | None, zone: str, allow_serial: bool) -> pl.Series:
    frame = pl.DataFrame({"s": s}).with_columns(
        pl.col("s").str.extract_groups(_NUMERIC).alias("n"),
        pl.col("s").str.extract_groups(_DAY_MONTH_NAME).alias("dm"),
        pl.col("s").str.extract_groups(_MONTH_NAME_DAY).alias("md"),
    )
    n = pl.col("n")
    a, b, c = (n.struct.field(k) for k in ("1", "3", "4"))
    year_first = a.str.len_chars() == 4
    dayfirst = chosen == "dayfirst"
    numeric = _assemble(
        pl.when(year_first).then(a.cast(pl.Int32, strict=False)).otherwise(_year(c)),
        pl.when(year_first).then(b).when(pl.lit(dayfirst)).then(b).otherwise(a).cast(pl.Int32, strict=False),
        pl.when(year_first).then(c).when(pl.lit(dayfirst)).then(a).otherwise(b).cast(pl.Int32, strict=False),
        n,
        5,
        zone,
    )
    numeric = pl.when(year_first | pl.lit(chosen is not None)).then(numeric)
    dm, md = pl.col("dm"), pl.col("md")
    by_day_month = _assemble(
        _year(dm.struct.field("3")),
        dm.struct.field("2").str.to_lowercase().replace_strict(_MONTHS, default=None).cast(pl.Int32),
        dm.struct.field("1").cast(pl.Int32, strict=False),
        dm,
        4,
        zone,
    )
    by_month_day = _assemble(
        _year(md.struct.field("3")),
        md.struct.field("1").str.to_lowercase().replace_strict(_MONTHS, default=None).cast(pl.Int32),
        md.struct.field("2").cast(pl.Int32, strict=False),
        md,
        4,
        zone,
    )
    parts = [numeric, by_day_month, by_month_day]
    if allow_serial:
        days = pl.when(pl.col("s").str.contains(_SERIAL)).then(pl.col("s").cast(pl.Float64, strict=False))
        parts.append(pl.datetime(1899, 12, 30) + pl.duration(microseconds=(days * 86_400_000_000).round(0).cast(pl.Int64)))
    return frame.select(pl.coalesce(parts).cast(pl.Datetime("us")).alias("d"))["d"]


# -- amounts ---------------------------------------------------------------------------

# ISO codes are kept as written (upper-cased); symbols that name one currency become its code,
# symbols shared by several currencies ($, ¥, kr) are kept as written.
_SYMBOLS = {
    "€": "EUR", "£": "GBP", "₹": "INR", "₩": "KRW", "₽": "RUB", "₺": "TRY", "₪": "ILS", "R$": "BRL",
    "US$": "USD", "A$": "AUD", "C$": "CAD", "NZ$": "NZD", "HK$": "HKD", "S$": "SGD", "ZŁ": "PLN", "KČ": "CZK",
}
_CUR = r"(?i:[a-z]{3}|us\$|a\$|c\$|nz\$|hk\$|s\$|r\$|zł|kč|kr\.?)|[$€£¥₹₩₽₺₪]"
_SIGN = r"[+\-\u2212\u2012\u2013\u2014\u2015]"
_MINUS = r"^[\-\u2212\u2012\u2013\u2014\u2015]$"
_GROUPING = r"[\s'’]"  # spaces (incl. no-break and narrow no-break) and apostrophes only ever group digits
# Accounting negatives put the parentheses outside or inside the currency: ($1.00) and $(1.00).
_AMOUNT = (
    rf"^(?P<open>\()?\s*(?P<s1>{_SIGN})?\s*(?P<c1>{_CUR})?\s*(?P<open2>\()?\s*(?P<s2>{_SIGN})?\s*"
    rf"(?P<num>[0-9][0-9.,'’\s]*|[.,][0-9]+)?\s*(?P<s4>{_SIGN})?\s*(?P<close2>\))?\s*(?P<c2>{_CUR})?\s*(?P<s3>{_SIGN})?\s*(?P<close>\))?$"
)
DecimalMark = Literal["comma", "point"]
_MARK = {"comma": ",", "point": "."}


def _shape(decimal: str) -> str:
    """A well-formed number with `decimal` as its decimal mark: 1234.5, 1,234.5, 12,34,567.5, 1 234.5, .5."""
    t = "," if decimal == "." else "."
    d = re.escape(decimal)
    group = rf"[{re.escape(t)}\s'’]"
    return rf"^(?:\d+|\d{{1,3}}(?:{group}\d{{3}})+|\d{{1,2}}(?:{re.escape(t)}\d{{2}})*{re.escape(t)}\d{{3}})(?:{d}\d+)?$|^{d}\d+$"


@dataclass(frozen=True)
class ParsedAmounts:
    values: pl.Series  # Float64; null where blank or unreadable
    currency: pl.Series  # String: ISO code (or an ambiguous symbol as written); null when the cell states none
    bad: pl.Series  # Boolean: text present but not an amount
    reason: pl.Series  # String: why a bad cell is bad
    decimal: str  # "." or ","
    ambiguous: bool  # some values read both ways, none decides, and no mark was given
    examples: list[str]


def parse_amounts(raw: pl.Series, decimal: DecimalMark | None = None) -> ParsedAmounts:
    """Parse money as exports write it: "$1,234.50", "1.234,50 €", "1 234,50", "1'234.50", "(100)", "EUR 12", "-".

    The decimal mark is a property of the file: decided from every value at
    once (see `_decide_decimal`), or given by the caller. A lone dash (also
    "$ -") is the accounting way of writing zero and reads as 0.
    """
    n = raw.len()
    if raw.null_count() == n:
        nulls = pl.repeat(None, n, dtype=pl.String, eager=True)
        return ParsedAmounts(
            values=pl.repeat(None, n, dtype=pl.Float64, eager=True), currency=nulls,
            bad=pl.repeat(False, n, dtype=pl.Boolean, eager=True), reason=nulls, decimal=".", ambiguous=False, examples=[],
        )
    frame = pl.DataFrame({"s": raw.str.strip_chars()}).with_columns(
        pl.col("s").str.extract_groups(_AMOUNT).alias("p")
    ).unnest("p").with_columns(pl.col("num").str.strip_chars())
    chosen, ambiguous, examples = _decide_decimal(frame, decimal)
    mark = chosen or "."
    other = "," if mark == "." else "."
    num, s = pl.col("num"), pl.col("s")
    matched = num.is_not_null() | pl.any_horizontal(pl.col(c).is_not_null() for c in ("open", "s1", "c1", "s2", "s3", "s4"))
    parsed_ok = s.str.contains(_AMOUNT)
    signs = [pl.col(c).str.contains(_MINUS).fill_null(False) for c in ("s1", "s2", "s3", "s4")]
    opens = pl.col("open").is_not_null().cast(pl.Int8) + pl.col("open2").is_not_null().cast(pl.Int8)
    closes = pl.col("close").is_not_null().cast(pl.Int8) + pl.col("close2").is_not_null().cast(pl.Int8)
    negative = (opens > 0) | pl.any_horizontal(signs)
    dash_zero = num.is_null() & pl.any_horizontal(signs)
    parens_ok = (opens == closes) & (opens <= 1)
    two_currencies = pl.col("c1").is_not_null() & pl.col("c2").is_not_null()
    well_formed = num.str.contains(_shape(mark))
    other_form = num.str.contains(_shape(other))
    digits = num.str.replace_all(_GROUPING, "").str.replace_all(re.escape(other), "").str.replace(re.escape(mark), ".")
    magnitude = pl.when(dash_zero).then(pl.lit(0.0)).otherwise(digits.cast(pl.Float64, strict=False))
    one_sign = pl.sum_horizontal(pl.col(c).is_not_null().cast(pl.Int8) for c in ("s1", "s2", "s3", "s4")) <= 1
    valid = parsed_ok & matched & parens_ok & one_sign & ~two_currencies & (dash_zero | well_formed) & ~(dash_zero & (opens > 0))
    value = pl.when(valid).then(pl.when(negative & ~dash_zero).then(-magnitude).otherwise(magnitude))
    present = s.is_not_null() & (s != "")
    bad = present & (~valid | value.is_null()).fill_null(True)
    ours, theirs = ("comma", "point") if mark == "," else ("point", "comma")
    why = (
        pl.when(~bad).then(None)
        .when(parsed_ok & num.is_not_null() & other_form & ~well_formed)
        .then(pl.format(f"amount {{}} is written with a decimal {theirs} but this file's amounts use a decimal {ours}; fix that cell", s))
        .when(two_currencies)
        .then(pl.format("amount {} names two currencies; keep one", s))
        .otherwise(pl.format("unreadable amount {}; write it like 1234.50, 1,234.50 or 1.234,50 (a currency such as EUR or $ may go before or after)", s))
    )
    currency = pl.coalesce("c1", "c2")
    code = pl.when(currency.str.len_chars() == 3).then(currency.str.to_uppercase()).otherwise(currency)
    code = code.replace(_SYMBOLS).replace({k.lower(): v for k, v in _SYMBOLS.items()})
    out = frame.select(
        value=value,
        currency=pl.when(valid).then(code),
        bad=bad,
        reason=why,
    )
    return ParsedAmounts(
        values=out["value"], currency=out["currency"], bad=out["bad"].fill_null(False), reason=out["reason"],
        decimal=mark, ambiguous=ambiguous, examples=examples,
    )


def _decide_decimal(frame: pl.DataFrame, decimal: DecimalMark | None) -> tuple[str | None, bool, list[str]]:
    """The file's decimal mark from its own values: (mark, ambiguous, examples).

    A value is evidence for a mark when only that reading makes sense: both
    marks present (the last one is the decimal), one mark repeated (it groups
    thousands, so the other is the decimal), or a single mark not followed by
    exactly three digits after a 1-3 digit head ("12,5", "0.500", "1 234,567").
    "1,234" and "1.234" are no evidence. When the evidence is split, the
    majority wins and the other values are rejected; when there is none but
    some values read both ways, the file is ambiguous and the caller asks.
    """
    if decimal is not None:
        return _MARK[decimal], False, []
    num = pl.col("num")
    plain = num.str.replace_all(_GROUPING, "")
    grouped = num.str.contains(_GROUPING)
    dots, commas = plain.str.count_matches(r"\."), plain.str.count_matches(",")
    last = plain.str.extract(r"([.,])[^.,]*$")
    single = (dots + commas) == 1
    head = plain.str.extract(r"^(\d*)[.,]")
    tail = plain.str.extract(r"[.,](\d*)$")
    decimal_like = (tail.str.len_chars() != 3) | (head.str.len_chars() == 0) | head.str.starts_with("0") | (head.str.len_chars() > 3) | grouped
    both = (dots > 0) & (commas > 0)
    # Only a value well formed under a reading can vote for it: "1.2.3" proves nothing.
    comma_form, point_form = num.str.contains(_shape(",")), num.str.contains(_shape("."))
    votes = frame.filter(num.is_not_null()).select(
        comma=(comma_form & ((both & (last == ",")) | (single & (commas == 1) & decimal_like) | ((dots > 1) & (commas == 0)))).sum(),
        point=(point_form & ((both & (last == ".")) | (single & (dots == 1) & decimal_like) | ((commas > 1) & (dots == 0)))).sum(),
        unsure=(single & ~decimal_like).sum(),
    ).row(0, named=True)
    comma, point, unsure = int(votes["comma"] or 0), int(votes["point"] or 0), int(votes["unsure"] or 0)
    if comma > point:
        return ",", False, []
    if point > comma:
        return ".", False, []
    if comma == point == 0 and unsure == 0:
        return None, False, []
    examples = frame.filter(single & ~decimal_like)["s"].unique(maintain_order=True).head(3).to_list()
    if comma == point and comma > 0:
        examples = frame.filter(both | ((dots + commas) > 1))["s"].unique(maintain_order=True).head(3).to_list()
    return None, True, examples


def currency_code(raw: pl.Series) -> pl.Series:
    """A currency column ("usd", "€", "EUR") as codes, the way amounts name theirs."""
    text = raw.str.strip_chars()
    text = pl.Series(text.name, text, dtype=pl.String)
    code = pl.when(pl.col("c").str.len_chars() == 3).then(pl.col("c").str.to_uppercase()).otherwise(pl.col("c"))
    return (
        pl.DataFrame({"c": text})
        .select(code.replace(_SYMBOLS).replace({k.lower(): v for k, v in _SYMBOLS.items()}).alias(raw.name))
        .to_series()
    )
