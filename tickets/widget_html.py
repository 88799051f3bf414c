"""Form widgets as HTML without a template per widget, for the forms on the
busiest pages: the ticket filter (every list page) and the review decision
(every reply in the workbench).

Django renders each widget through its own small templates: a select of
service types is one template for the select, one per option and one per
attribute list, about a third of the list page's template time.
``QuickFormRenderer`` writes the same HTML in Python for text, date and other
plain inputs, selects, text areas and error lists, and hands anything else to
Django's templates. Its output is Django's, byte for byte (the tests render
both and compare): only the cost changes, never the page.
"""

from __future__ import annotations

from django.forms.renderers import DjangoTemplates
from django.utils.html import conditional_escape
from django.utils.safestring import SafeData

WIDGETS = "django/forms/widgets/"
# Each of these templates is only {% include "django/forms/widgets/input.html" %}.
INPUT_TEMPLATES = frozenset(f"{WIDGETS}{name}.html" for name in
                            ("input", "text", "date", "number", "hidden", "email"))
SELECT_TEMPLATE = f"{WIDGETS}select.html"
TEXTAREA_TEMPLATE = f"{WIDGETS}textarea.html"
OPTION_TEMPLATE = f"{WIDGETS}select_option.html"
ERROR_TEMPLATES = frozenset(("django/forms/errors/list/default.html",
                             "django/forms/errors/list/ul.html"))


def _text(value) -> str:
    """``{{ value|stringformat:'s' }}``: safe input stays as it is (the filter
    keeps it safe), anything else is escaped."""
    return str(value) if isinstance(value, SafeData) else conditional_escape(str(value))


def _attrs(attrs: dict) -> str:
    """django/forms/widgets/attrs.html: False leaves an attribute out, True
    writes its bare name."""
    out = []
    for name, value in attrs.items():
        if value is False:
            continue
        out.append(f" {conditional_escape(name)}" if value is True
                   else f' {conditional_escape(name)}="{_text(value)}"')
    return "".join(out)


def _input(widget: dict) -> str:
    value = "" if widget["value"] is None else f' value="{_text(widget["value"])}"'
    return (f'<input type="{conditional_escape(widget["type"])}" '
            f'name="{conditional_escape(widget["name"])}"{value}{_attrs(widget["attrs"])}>')


def _select(widget: dict) -> str:
    out = [f'<select name="{conditional_escape(widget["name"])}"{_attrs(widget["attrs"])}>']
    for group_name, options, _index in widget["optgroups"]:
        if group_name:
            out.append(f'\n  <optgroup label="{conditional_escape(group_name)}">')
        for option in options:
            # The option template ends with a newline of its own.
            out.append(f'\n  <option value="{_text(option["value"])}"{_attrs(option["attrs"])}>'
                       f'{conditional_escape(option["label"])}</option>\n')
        if group_name:
            out.append("\n  </optgroup>")
    out.append("\n</select>")
    return "".join(out)


def _textarea(widget: dict) -> str:
    value = widget["value"]
    text = conditional_escape(value) if value else ""
    return (f'<textarea name="{conditional_escape(widget["name"])}"{_attrs(widget["attrs"])}>'
            f"\n{text}</textarea>")


def _errors(errors) -> str:
    if not errors:
        return ""
    field_id = getattr(errors, "field_id", None)
    ident = f' id="{conditional_escape(field_id)}_error"' if field_id else ""
    items = "".join(f"<li>{conditional_escape(error)}</li>" for error in errors)
    return f'<ul class="{conditional_escape(errors.error_class)}"{ident}>{items}</ul>'


class QuickFormRenderer(DjangoTemplates):
    """Django's default form renderer, with plain inputs, selects, text areas
    and error lists written directly. Like ``BaseRenderer.render`` the result is
    stripped; the caller marks it safe."""

    def render(self, template_name, context, request=None):
        if template_name in INPUT_TEMPLATES:
            return _input(context["widget"])
        if template_name == SELECT_TEMPLATE and all(
                option["template_name"] == OPTION_TEMPLATE
                for _name, options, _index in context["widget"]["optgroups"]
                for option in options):
            return _select(context["widget"])
        if template_name == TEXTAREA_TEMPLATE:
            return _textarea(context["widget"])
        if template_name in ERROR_TEMPLATES:
            return _errors(context["errors"])
        return super().render(template_name, context, request=request)


# One instance: its fallback template engine is built once.
QUICK_RENDERER = QuickFormRenderer()
