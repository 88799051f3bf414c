"""What the ticket list's 导出 button posts: the list's filter as form fields."""

import json

from django import template
from django.http import QueryDict

from tickets.filters import TicketFilter

register = template.Library()


@register.filter
def export_fields(query: str) -> str:
    """The filter on screen (the list's query string) as JSON for ``hx-vals``:
    every filter field, blank when the list does not set it, so that an input of
    the surrounding form edited but not applied cannot slip into the export."""
    applied = QueryDict(query or "")
    return json.dumps({name: applied.get(name, "") for name in TicketFilter.base_filters})


@register.simple_tag
def export_field_names() -> str:
    """For ``hx-params``: post the filter's fields and nothing else of that form."""
    return ",".join(TicketFilter.base_filters)
