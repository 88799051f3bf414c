"""Values nobody should send, each a kind of input that has broken a Django
site somewhere: bytes the database refuses, digits only some parsers take,
numbers past every integer type, dates at the calendar's edges, cursors of the
wrong shape, huge strings, URLs that point elsewhere."""

import io

from PIL import Image

NUL = ["\x00", "abc\x00def", "1\x00", "\x00" * 3]
DIGITS = [
    "²",            # str.isdigit() says yes, int() says no
    "٣", "١٢٣",     # Arabic-Indic: int() and \d accept them
    "１２", "Ⅻ", "〇", "𝟗",
]
NUMBERS = [
    "-1", "0", "-0", "+1", "1.5", "1.0", "1e9", "NaN", "inf", "-inf", "0x10", "1_000",
    " 7 ", str(2**31), str(2**31 - 1), str(2**63), str(2**63 - 1), str(2**64),
    str(-(2**63) - 1), "9" * 40, "1" * 5000,
]
DATES = [
    "0001-01-01", "9999-12-31", "0000-00-00", "2026-02-30", "2026-13-01", "1999-12-31",
    "2000-01-01", "2999-12-31", "3000-01-01", "2026-11-26T25:61", "2026-11-26 08:30",
    "9999-12-31T23:59:59.999999-23:59", "0001-01-01T00:00+23:59", "2026-11-26T08:30+99:00",
    "2026-11-26T08:30Z", "2026-11-26T08:30-23:59", "2026-11-26T08:30+16:00", "20261126",
    "2026-W48-4", "٢٠٢٦-١١-٢٦",
]
CURSORS = [
    "_", "1_", "_1", "1_-1", "-1_1", "1_1_1", "٣_٣", "²_1", "\x00_1", "1_\x00",
    f"{2**64}_{2**64}", f"-{10**20}_1", f"{10**20}_1", "253402300799999999_1",
    "-62135596800000000_1", "1e3_1", "1.5_1", " 1_1", "1 _ 1",
]
URLS = [
    "1", "tickets:list", "admin:index", "//evil.example/", "https://evil.example/",
    "http://testserver/tickets/", "/\\evil.example", "\\\\evil.example", "javascript:alert(1)",
    "/%2e%2e/", "///", "/\x00/", "\r\nSet-Cookie: x=1", " /tickets/",
]
TEXT = [
    "", " ", "\t\r\n", "x" * 100_000, "1" * 100_000, "中" * 50_000, "%", "%00", "%ff",
    "'; DROP TABLE tickets_ticket; --", "<script>alert(1)</script>", "{{ 7*7 }}", "{% debug %}",
    "=cmd|' /C calc'!A0", "\u202e", "\ufeff", "😀", "𠀀", "\x0b", "null", "true", "[]", "{}",
    "..", "../../etc/passwd", "all", "pending", "under_review", "closed",
]

VALUES = NUL + DIGITS + NUMBERS + DATES + CURSORS + URLS + TEXT

INTEGER_NAMES = {"up_to", "page", "p", "pk", "id", "index", "evidence_id", "object_id",
                 "content_type_id", "_selected_action"}


def values_for(name: str) -> list[str]:
    """The hostile values most likely to get past a field of this name's own
    checks to the code behind it (a date that parses but overflows, a number
    int() takes but the database does not), or all of them."""
    if name in ("after", "before"):
        return CURSORS + NUL + DIGITS
    if name == "next" or name.endswith("_url"):
        return URLS + TEXT[:12]
    if "created" in name or "date" in name or name.endswith(("__year", "__month", "__day")):
        return DATES + NUMBERS[:12]
    if name in INTEGER_NAMES or name.endswith(("_id", "__exact", "_FORMS")):
        return NUMBERS + DIGITS + NUL
    return VALUES

# One value of each kind, for sending every parameter each of them alone.
SWEEP = {
    "cursor": ["_", "1_-1", "٣_٣", "²_1", "\x00_1", f"{2**64}_{2**64}", f"-{10**20}_1",
               "253402300799999999_1", "-62135596800000000_1", "1" * 5000 + "_1"],
    "url": ["1", "pending", "tickets:list", "//evil.example/", "https://evil.example/",
            "/\\evil.example", "javascript:alert(1)", "\x00/", "/\x00/", " /tickets/"],
    "date": ["0001-01-01", "9999-12-31", "9999-12-31T23:59", "0001-01-01T00:00",
             "9999-12-31T23:59:59.999999-23:59", "0001-01-01T00:00+23:59", "2026-02-30",
             "2026-11-26T08:30+99:00", "2026-11-26T08:30-23:59", "٢٠٢٦-١١-٢٦", "\x00"],
    "integer": ["²", "٣", "𝟗", "-1", "0", str(2**63), str(2**64), "1" * 5000, "1.5", "\x00"],
    "text": ["\x00", "abc\x00def", "²", "٣", "", "x" * 100_000, "中" * 50_000, "%00",
             "<script>alert(1)</script>", "😀"],
}


def sweep_values_for(name: str) -> list[str]:
    if name in ("after", "before"):
        return SWEEP["cursor"]
    if name == "next" or name.endswith("_url"):
        return SWEEP["url"]
    if "created" in name or "date" in name:
        return SWEEP["date"]
    if name in INTEGER_NAMES or name.endswith(("_id", "__exact", "_FORMS")):
        return SWEEP["integer"]
    return SWEEP["text"]


ACCEPT_LANGUAGE = ["en", "zh-hans", "en;q=nan", "x" * 10_000, "*", "\x00", "zz-ZZ, en;q=0.1"]


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), (200, 30, 30)).save(buffer, format="PNG")
    return buffer.getvalue()


# (file name, content, content type) of uploads that are no image we accept.
JUNK_FILES = [
    ("evidence.png", b"not an image", "image/png"),
    ("empty.png", b"", "image/png"),
    ("truncated.png", png_bytes()[:20], "image/png"),
    ("gif.gif", b"GIF89a" + b"\x00" * 10, "image/gif"),
    ("pic.svg", b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>',
     "image/svg+xml"),
    ("doc.pdf", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n", "application/pdf"),
    ("../../../etc/passwd", b"root:x:0:0", "text/plain"),
    ("x" * 300 + ".png", b"\x89PNG\r\n\x1a\n", "image/png"),
    ("名字.jpg", b"\xff\xd8\xff\xe0" + b"\x00" * 8, "image/jpeg"),
]
GOOD_FILE = ("evidence.png", png_bytes(), "image/png")

# Bodies that are not what their content type says.
RAW_BODIES = [
    ("multipart/form-data", b"junk"),  # no boundary
    ("multipart/form-data; boundary=xyz", b"--xyz\r\nContent-Disposition: form-data\r\n\r\n"),
    ("multipart/form-data; boundary=xyz", b"--xyz\r\n" + b"A" * 5000),
    ("application/x-www-form-urlencoded", b"%ff%fe=%00&&&==&a=%"),
    ("application/x-www-form-urlencoded", b"a=1&" * 1200),  # past DATA_UPLOAD_MAX_NUMBER_FIELDS
    ("application/json", b'{"next": 1, "up_to": [1]}'),
    ("text/plain", b"\x00\xff\xfe"),
]
