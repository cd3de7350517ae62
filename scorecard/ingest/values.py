"""Dates and amounts from text, vectorised over whole columns.

Day/month order and the decimal separator are properties of a file, so they
are decided from all of its values at once, never guessed per row.
"""

from __future__ import annotations

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


_CURRENCY = r"(?i)^\s*(?:[A-Z]{3}|[$€£¥]|R\$|CHF|kr)?\s*|\s*(?:[A-Z]{3}|[$€£¥]|CHF|kr)?\s*$"
_SPACES = r"[\s\u00a0\u202f']"


@dataclass(frozen=True)
class ParsedAmounts:
    values: pl.Series  # Float64; null where blank or unreadable
    bad: pl.Series  # Boolean: text present but not a number
    decimal: str  # "." or ","


def parse_amounts(raw: pl.Series) -> ParsedAmounts:
    """Parse money text: "$1,234.50", "1.234,50 €", "1 234,50", "(100)", "-5", "5-"."""
    if raw.null_count() == raw.len():
        return ParsedAmounts(
            values=pl.repeat(None, raw.len(), dtype=pl.Float64, eager=True),
            bad=pl.repeat(False, raw.len(), dtype=pl.Boolean, eager=True),
            decimal=".",
        )
    s = pl.col("s")
    frame = pl.DataFrame({"s": raw.str.strip_chars()}).with_columns(
        neg=(s.str.starts_with("(") & s.str.ends_with(")")) | s.str.contains(r"^\(?\s*-") | s.str.ends_with("-"),
        core=s.str.replace_all(r"^\(|\)$", "").str.replace_all(r"^-|-$", "").str.replace_all(_CURRENCY, "")
        .str.replace_all(r"^-|-$", "").str.replace_all(_SPACES, ""),
    )
    core = pl.col("core")
    last_comma = core.str.find(r",\d*$")
    last_dot = core.str.find(r"\.\d*$")
    tail_comma = core.str.extract(r",(\d*)$").str.len_chars()
    tail_dot = core.str.extract(r"\.(\d*)$").str.len_chars()
    both = core.str.contains(",") & core.str.contains(r"\.")
    comma_evidence = (both & (last_comma > last_dot)) | (~both & last_comma.is_not_null() & (tail_comma != 3)) | (core.str.count_matches(r"\.") > 1)
    dot_evidence = (both & (last_dot > last_comma)) | (~both & last_dot.is_not_null() & (tail_dot != 3)) | (core.str.count_matches(",") > 1)
    votes = frame.select(comma=comma_evidence.sum(), dot=dot_evidence.sum()).row(0, named=True)
    decimal = "," if (votes["comma"] or 0) > (votes["dot"] or 0) else "."
    thousands = "." if decimal == "," else ","
    # A thousands separator after the decimal one means the value disagrees with the file's convention.
    wrong_order = core.str.contains(r"\." + ".*,") if decimal == "." else core.str.contains(",.*" + r"\.")
    number = core.str.replace_all(thousands, "", literal=True).str.replace(decimal, ".", literal=True)
    valid = core.str.contains(r"^\d[\d.,]*$|^[.,]\d+$") & ~wrong_order & (number.str.count_matches(r"\.") <= 1)
    magnitude: pl.Expr = pl.when(valid).then(number.cast(pl.Float64, strict=False))
    value = pl.when(pl.col("neg")).then(-magnitude).otherwise(magnitude)
    out = frame.select(
        value=value,
        bad=(s.is_not_null() & (s != "") & (~valid | value.is_null())),
    )
    return ParsedAmounts(values=out["value"], bad=out["bad"].fill_null(False), decimal=decimal)
