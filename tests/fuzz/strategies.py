"""Hypothesis strategies for one request to one route: a method, path values,
query parameters, form fields, headers.

Most examples put one hostile value, aimed at the kind of parameter it goes
into, into an otherwise valid request (so it gets past the other fields'
checks to the code behind them: the date filter's arithmetic only ran once
the rest of the form was valid); some mix absent, valid and hostile values
everywhere; some are requests a person could send (so the fuzz is known to
reach the pages behind the logins and 404s)."""

import functools
from dataclasses import dataclass, field

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils.http import urlencode
from hypothesis import strategies as st

from . import hostile

# Mostly what the views take; the rest meet require_GET / require_POST.
METHODS = ("GET", "POST") * 6 + ("HEAD", "PUT", "DELETE", "OPTIONS")

Upload = tuple[str, bytes, str]  # name, content, content type


def _short(value) -> str:
    text = repr(value)
    return text if len(text) <= 80 else f"{text[:60]}…({len(text)} chars)"


@dataclass
class FuzzRequest:
    method: str
    path: str
    query: dict = field(default_factory=dict)
    form: dict = field(default_factory=dict)
    encoding: str = "multipart"  # or "urlencoded", or "raw"
    raw_body: tuple[str, bytes] | None = None
    headers: dict = field(default_factory=dict)

    def __repr__(self) -> str:
        # Falsifying examples get printed; a 100,000-character value would bury the report.
        def shorten(data):
            return {k: [_short(x) for x in v] if isinstance(v, list) else _short(v)
                    for k, v in data.items()}

        parts = [self.method, _short(self.path), f"query={shorten(self.query)}"]
        if self.method == "POST":
            parts.append(f"form={shorten(self.form)} ({self.encoding})")
            if self.raw_body:
                parts.append(f"body={self.raw_body[0]!r} {_short(self.raw_body[1])}")
        if self.headers:
            parts.append(f"headers={shorten(self.headers)}")
        return "FuzzRequest(" + ", ".join(parts) + ")"

    def send(self, client):
        path = self.path
        if self.query:
            path += "?" + urlencode(self.query, doseq=True)
        if self.method != "POST":
            return client.generic(self.method, path, **self.headers)
        if self.encoding == "raw":
            content_type, body = self.raw_body
            return client.post(path, data=body, content_type=content_type, **self.headers)
        if self.encoding == "urlencoded":
            return client.post(path, data=urlencode(self.form, doseq=True),
                               content_type="application/x-www-form-urlencoded",
                               **self.headers)
        return client.post(path, data={k: _materialise(v) for k, v in self.form.items()},
                           **self.headers)


def _materialise(value):
    """Uploads are built afresh for each send (the client reads them)."""
    if isinstance(value, list):
        return [_materialise(v) for v in value]
    if isinstance(value, tuple):
        name, content, content_type = value
        return SimpleUploadedFile(name, content, content_type=content_type)
    return value


def _has_upload(value) -> bool:
    if isinstance(value, list):
        return any(_has_upload(v) for v in value)
    return isinstance(value, tuple)


random_text = st.text(st.characters(exclude_categories=("Cs",)), max_size=12)


@functools.cache
def hostile_text(name: str):
    # Twice as likely from the values aimed at this kind of parameter as from the rest.
    aimed = st.sampled_from(hostile.values_for(name))
    return st.one_of(aimed, aimed, st.sampled_from(hostile.VALUES), random_text)


@functools.cache
def hostile_value(name: str, *, uploads: bool):
    """A hostile value for a query parameter or (uploads=True) a form field: a
    bad string, several of them (a repeated key), or a file where text is expected."""
    text = hostile_text(name)
    options = [text, text, st.lists(text, min_size=2, max_size=3)]
    if uploads:
        junk = st.sampled_from(hostile.JUNK_FILES)
        options += [junk, st.lists(junk, min_size=1, max_size=6)]
    return st.one_of(*options)


@st.composite
def fuzz_request(draw, route, *, path_values: list[dict], query_names: list[str],
                 form_names: list[str], valid: dict, reads: set[str] | None = None):
    """``path_values``: combinations of path parameters that make sense for this
    role (a ticket it can see with its own evidence, one it cannot, its own
    notification, someone else's...); ``valid``: name -> values for the query
    and the form that make sense for it; ``reads``: the query parameters this
    route is known to read (the hostile value goes there more often), None for
    a route nobody has described (every parameter is as likely)."""
    method = draw(st.sampled_from(METHODS))
    path = dict(draw(st.sampled_from(path_values))) if path_values else {}
    fields = [("query", name) for name in query_names]
    if method == "POST":
        fields += [("form", name) for name in form_names]
    slots = [("path", name) for name in route.params] + fields
    # "valid": a request a person could send; "one": one slot hostile, the
    # rest valid or absent; "mixed": any slot valid, hostile or absent.
    mode = draw(st.sampled_from(["valid", "mixed", "one", "one", "one"]))
    focus = None
    if mode == "one" and slots:
        aimed = [slot for slot in slots if slot[0] != "query" or reads is None
                 or slot[1] in reads]
        focus = draw(st.sampled_from(aimed if aimed and draw(st.integers(0, 3)) else slots))
    # Which fields are sent, and (mixed) which of them are hostile, as bit masks:
    # two draws instead of one per field keep generation cheap next to the request.
    present = draw(st.integers(0, 2 ** len(fields) - 1)) if fields else 0
    bad = draw(st.integers(0, 2 ** len(slots) - 1)) if mode == "mixed" and slots else 0

    if mode == "mixed":
        for index, name in enumerate(route.params):
            if bad >> index & 1:
                path[name] = draw(hostile_text(name))
    elif focus is not None and focus[0] == "path":
        path[focus[1]] = draw(hostile_text(focus[1]))

    chosen = {"path": path, "query": {}, "form": {}}
    for index, (kind, name) in enumerate(fields):
        is_focus = (kind, name) == focus
        if not (present >> index & 1 or is_focus):
            continue
        if is_focus or bad >> (index + len(route.params)) & 1:
            value = draw(hostile_value(name, uploads=kind == "form"))
        else:
            value = draw(st.sampled_from(valid.get(name) or ["1"]))
        chosen[kind][name] = value

    encoding, raw_body = "multipart", None
    if method == "POST":
        encoding = draw(st.sampled_from(["multipart", "multipart", "urlencoded", "raw"]))
        if encoding == "urlencoded" and any(_has_upload(v) for v in chosen["form"].values()):
            encoding = "multipart"
        if encoding == "raw":
            raw_body = draw(st.sampled_from(hostile.RAW_BODIES))

    headers = {}
    if draw(st.booleans()):
        headers["HTTP_HX_REQUEST"] = "true"
    language = draw(st.sampled_from([None, None, *hostile.ACCEPT_LANGUAGE]))
    if language is not None:
        headers["HTTP_ACCEPT_LANGUAGE"] = language

    return FuzzRequest(method=method, path=route.path(chosen["path"]), query=chosen["query"],
                       form=chosen["form"], encoding=encoding, raw_body=raw_body,
                       headers=headers)
