from django import template
from django.http import QueryDict
from django.utils.html import format_html_join

from exports.requests import filter_params_from

register = template.Library()


@register.simple_tag
def export_filter_inputs(query: str) -> str:
    """Hidden inputs carrying the list's current filter (a query string) to POST
    /exports/. Only the filter's own parameters travel (not page numbers)."""
    params = filter_params_from(QueryDict(query or ""))
    return format_html_join("", '<input type="hidden" name="{}" value="{}">', params.items())
