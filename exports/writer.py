"""The xlsx writer: ticket rows from one query, streamed into an openpyxl
write-only workbook (write-only mode: a third of the memory of the normal mode,
measured on 50,000 rows, and no slower).

Memory stays flat whatever the row count: the query is read with a server-side
cursor in chunks, and the write-only workbook spools its sheet to a temporary
file. Three traps of the write-only path are handled here, because any exception
inside ``append`` kills the sheet silently: aware datetimes (converted to the
shop's time zone and made naive), control characters (stripped) and text that a
spreadsheet would run as a formula (written as an explicit, quote-prefixed
string cell).
"""

import contextlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import IO

from django.db.models import CharField, DateTimeField, F, Func, Value
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from tickets.models import Resolution, TicketStatus

TEXT, LABEL, DATETIME, NUMBER = "text", "label", "datetime", "number"

# A spreadsheet treats a cell typed as text starting with one of these as a
# formula (or, for tab and CR, as the start of one after a paste).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")

# Rows read per round trip. The chunk is the export's largest Python structure:
# 2,000 rows put the task's peak RSS 3 MB higher than 500 (bench_export, 50,000
# rows on SQLite), while the extra round trips of 500 cost nothing measurable.
CHUNK_SIZE = 500


@dataclass(frozen=True)
class Column:
    header: str
    field: str
    kind: str
    labels: type | None = None
    width: int = 14


def columns_for(language: str) -> list[Column]:
    english = language.startswith("en")
    service_type_name = "service_type__name_en" if english else "service_type__name_zh"
    reason_label = "last_reject_reason__label_en" if english else "last_reject_reason__label_zh"
    return [
        Column(_("Ticket number"), "number", TEXT, width=20),
        Column(_("Order number"), "order__number", TEXT, width=22),
        Column(_("Shop"), "shop__name", TEXT, width=18),
        Column(_("Service type"), service_type_name, TEXT),
        Column(_("Status"), "status", LABEL, labels=TicketStatus),
        Column(_("Resolution"), "resolution", LABEL, labels=Resolution),
        Column(_("Created time"), "created_at", DATETIME, width=20),
        Column(_("Handling deadline"), "deadline", DATETIME, width=20),
        Column(_("First reply time"), "first_replied_at", DATETIME, width=20),
        Column(_("Last reply time"), "last_replied_at", DATETIME, width=20),
        Column(_("Reject count"), "reject_count", NUMBER, width=10),
        Column(_("Last rejection reason"), reason_label, TEXT, width=18),
        Column(_("Closed time"), "closed_at", DATETIME, width=20),
        Column(_("Content"), "content", TEXT, width=60),
    ]


# How the datetimes of a row arrive (see ``selections``).
AWARE, LOCAL, UTC_TEXT = "aware", "local", "utc_text"


def selections(columns: list[Column], *, vendor: str) -> tuple[list, str]:
    """What to select for ``columns`` on this database, and how its datetimes
    come back: AWARE, LOCAL (naive, in the shop's zone) or UTC_TEXT.

    On PostgreSQL the database converts them (``timezone(zone, ts)``): a plain
    ``timestamp`` is parsed by psycopg's C loader, while Django's
    ``timestamptz`` loader is pure Python, so this is the cheaper path by far
    (bench_export). On SQLite they are stored as UTC text; cast to text (the
    driver parses a column declared ``datetime`` by itself), they skip both
    parses and Django's make-aware and are turned into the shop's local time
    in one step by the writer, for about a third of the per-value cost.
    Elsewhere Python converts the aware values."""
    if vendor == "sqlite":
        return [
            Cast(c.field, output_field=CharField())
            if c.kind == DATETIME else c.field
            for c in columns
        ], UTC_TEXT
    if vendor != "postgresql":
        return [c.field for c in columns], AWARE
    zone = Value(str(timezone.get_default_timezone()))
    return [
        Func(zone, F(c.field), function="timezone", output_field=DateTimeField())
        if c.kind == DATETIME else c.field
        for c in columns
    ], LOCAL


class RowLimitExceeded(Exception):
    """More rows arrived than the job may write (the data changed since the count)."""


def write_workbook(
    rows: Iterable[tuple],
    out: IO[bytes],
    *,
    columns: list[Column],
    max_rows: int,
    on_progress: Callable[[int], None] | None = None,
    progress_every: int = 5000,
    datetimes: str = AWARE,
) -> int:
    """Write a header row and ``rows`` (tuples in ``columns`` order, as the query
    returns them) to ``out`` as xlsx. Call with the requester's language active.
    Datetimes arrive as ``datetimes`` says (see ``selections``): aware, or UTC
    text, converted here to the shop's zone; or already naive in the shop's
    zone. Returns the number of data rows written; never writes
    more than ``max_rows``."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=str(_("Service tickets"))[:31])
    for index, column in enumerate(columns):
        sheet.column_dimensions[get_column_letter(index + 1)].width = column.width
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    header = []
    for column in columns:
        cell = WriteOnlyCell(sheet, value=str(column.header))
        cell.font = bold
        header.append(cell)
    sheet.append(header)

    convert = _row_converter(columns, sheet, datetimes=datetimes)
    append = sheet.append
    written = 0
    try:
        for row in rows:
            if written == max_rows:
                raise RowLimitExceeded()
            append(convert(row))
            written += 1
            if on_progress is not None and written % progress_every == 0:
                on_progress(written)
    except BaseException:
        _abandon(sheet)
        raise
    workbook.save(out)
    return written


def _abandon(sheet) -> None:
    """Close a sheet that will never be saved. openpyxl spools it to a temporary
    file that only ``save`` removes; a long-lived worker must not collect them.
    (``_writer`` is openpyxl's; it has no public way to discard a sheet.)"""
    with contextlib.suppress(Exception):
        sheet.close()
    writer_ = getattr(sheet, "_writer", None)
    if writer_ is not None:
        with contextlib.suppress(Exception):
            writer_.cleanup()


def label_map(column: Column) -> dict:
    """A LABEL column's cell value for each stored code, in the active language.
    An empty code ("no resolution yet") is an empty cell, not an empty string."""
    return {"": None, **{value: str(label) for value, label in column.labels.choices}}


def _row_converter(columns: list[Column], sheet, *,
                   datetimes: str) -> Callable[[tuple], list]:
    """One function per export, not per cell: the columns' kinds are looked up
    once, and the common case (clean text, nothing to neutralise) costs two
    C-level tests per text cell, so the per-row cost stays close to bare openpyxl
    (measured by ``manage.py bench_export``)."""
    datetime_indexes = [] if datetimes == LOCAL else \
        [i for i, c in enumerate(columns) if c.kind == DATETIME]
    to_local = _local_time(datetimes)
    text_indexes = [i for i, c in enumerate(columns) if c.kind == TEXT]
    label_maps = [(i, label_map(c)) for i, c in enumerate(columns) if c.kind == LABEL]
    has_illegal = ILLEGAL_CHARACTERS_RE.search
    strip_illegal = ILLEGAL_CHARACTERS_RE.sub
    triggers = frozenset(c[0] for c in FORMULA_TRIGGERS)

    def as_text_cell(value: str) -> WriteOnlyCell:
        cell = WriteOnlyCell(sheet, value=value)
        cell.data_type = "s"  # never "f": the value is stored, not evaluated
        cell.quotePrefix = True  # and stays text if someone edits the cell
        return cell

    def convert(row: tuple) -> list:
        values = list(row)
        for i in datetime_indexes:
            moment = values[i]
            if moment is not None:
                values[i] = to_local(moment)
        for i, labels in label_maps:
            values[i] = labels.get(values[i], values[i])
        for i in text_indexes:
            text = values[i]
            if not text:
                continue
            # Every character the regex looks for is unprintable, so text that
            # is all printable (nearly all of it) skips the regex; the test
            # costs a third of a search.
            if not text.isprintable() and has_illegal(text):
                text = values[i] = strip_illegal("", text)
            if text and text[0] in triggers:
                values[i] = as_text_cell(text)
        return values

    return convert


def _local_time(datetimes: str) -> Callable:
    """The shop's naive local time for a datetime as it arrives: openpyxl
    refuses aware datetimes, and Excel has no time zones."""
    shop_zone = timezone.get_default_timezone()
    if datetimes == UTC_TEXT:
        parse, from_utc = datetime.fromisoformat, shop_zone.fromutc

        def exact(moment: datetime) -> datetime:
            # fromutc is what astimezone calls; it wants the zone attached.
            return from_utc(moment.replace(tzinfo=shop_zone)).replace(tzinfo=None)

        def offset_of(day: str) -> timedelta | None:
            """The zone's offset from UTC throughout the UTC day ``day`` (the
            text's first 10 characters), or None when it changes within it.
            The same offset at both ends means none in between: no zone of
            the tz database changes its offset twice within 48 hours."""
            start = parse(day)
            offset = exact(start) - start
            end = start + timedelta(days=1) - timedelta(microseconds=1)
            return offset if exact(end) - end == offset else None

        offsets: dict[str, timedelta | None] = {}

        def from_text(text: str) -> datetime:
            # Most of an export's times fall on days already seen: one dict
            # look-up and an addition instead of a time-zone conversion each
            # (a conversion cost four times the look-up). By day rather than
            # by hour: 50,000 tickets over 300 days asked for 7,200 offsets, a
            # third of the converter's time (bench_export's rows: 0.127 s by
            # hour, 0.091 s by day).
            day = text[:10]
            try:
                offset = offsets[day]
            except KeyError:
                offset = offsets[day] = offset_of(day)
            moment = parse(text)
            return exact(moment) if offset is None else moment + offset

        return from_text
    return lambda moment: moment.astimezone(shop_zone).replace(tzinfo=None)
