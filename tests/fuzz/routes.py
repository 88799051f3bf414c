"""The URL table as the fuzz test sees it: every pattern Django's resolver
knows, so a URL added later is fuzzed without anybody listing it here."""

from dataclasses import dataclass
from urllib.parse import quote

from django.urls import URLResolver, get_resolver
from django.utils.regex_helper import normalize


@dataclass(frozen=True)
class Route:
    # "tickets:detail"; an unnamed pattern goes by its route text.
    name: str
    # "tickets/%(number)s/", as Django's reverse() fills it in.
    template: str
    params: tuple[str, ...]
    namespace: str

    @property
    def is_admin(self) -> bool:
        return self.namespace == "admin"

    def path(self, values: dict[str, str]) -> str:
        # Every value is percent-encoded: the test client decodes the path
        # again, so a NUL byte or a slash arrives in PATH_INFO as sent.
        return "/" + self.template % {name: quote(values[name], safe="")
                                      for name in self.params}

    def segments(self) -> list[str]:
        """The literal parts of the path, e.g. ["admin", "tickets", "ticket"]."""
        return [part for part in self.template.split("/") if part and "%(" not in part]


def _fill_template(pattern) -> tuple[str, list[str]]:
    # normalize() is what reverse() builds its templates with; the first
    # possibility is the one without optional parts.
    template, params = normalize(pattern.regex.pattern)[0]
    return template, params


def url_table() -> list[Route]:
    routes = []

    def walk(patterns, prefix: str, prefix_params: list[str], namespace: str, text: str):
        for pattern in patterns:
            template, params = _fill_template(pattern.pattern)
            if isinstance(pattern, URLResolver):
                inner = ":".join(n for n in (namespace, pattern.namespace) if n)
                walk(pattern.url_patterns, prefix + template, prefix_params + params, inner,
                     text + str(pattern.pattern))
                continue
            name = (f"{namespace}:{pattern.name}" if namespace else pattern.name) \
                if pattern.name else "/" + text + str(pattern.pattern)
            routes.append(Route(name=name, template=prefix + template,
                                params=tuple(prefix_params + params), namespace=namespace))

    walk(get_resolver().url_patterns, "", [], "", "")
    return routes
