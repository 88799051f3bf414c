"""Forms for the ticket pages. They check the shape of the input (400 with field
errors); whether the action is allowed right now is the lifecycle's business."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .assignment import MAX_BATCH
from .choices import CatalogueChoiceField
from .evidence import EvidenceRefused, process_uploads
from .models import Order, ServiceType
from .widget_html import QUICK_RENDERER


class MultipleImageInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class EvidenceField(forms.FileField):
    """Zero to EVIDENCE_MAX_FILES images, checked and re-encoded by
    tickets.evidence (the format comes from the bytes; file names and browser
    content types are not trusted), so a bad file is a field error (400) before
    the lifecycle is called. Cleans to processed images, which the lifecycle
    stores without decoding them again."""

    widget = MultipleImageInput

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)
        self.widget.attrs.setdefault("accept", "image/*")

    def clean(self, data, initial=None):
        if isinstance(data, list | tuple):
            files = [f for f in data if f]
        else:
            files = [data] if data else []
        try:
            return process_uploads(files)
        except EvidenceRefused as refused:
            raise forms.ValidationError(refused.problems) from None


REPLY_MAX_LENGTH = 2000
REPLY_TOO_LONG = _("The reply can have at most %(limit_value)d characters; it has %(show_value)d.")


class ReplyBodyField(forms.CharField):
    """The reply text. No ``maxlength`` on the textarea: the browser would cut a
    long paste silently; the page counts characters instead (reply-form.js)
    and the server says how much too long it is."""

    def __init__(self, **kwargs):
        super().__init__(max_length=REPLY_MAX_LENGTH,
                         error_messages={"max_length": REPLY_TOO_LONG}, **kwargs)

    def widget_attrs(self, widget):
        attrs = super().widget_attrs(widget)
        attrs.pop("maxlength", None)
        attrs["data-max-length"] = str(REPLY_MAX_LENGTH)
        return attrs


EVIDENCE_REQUIRED = _("This service type requires at least one evidence image.")


class ReplyForm(forms.Form):
    body = ReplyBodyField(label=_("Your answer"), widget=forms.Textarea(attrs={"rows": 4}))
    evidence = EvidenceField(label=_("Evidence images"))

    def __init__(self, *args, ticket=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.ticket = ticket

    def clean(self):
        # Said at the image field (the lifecycle checks again under the lock).
        data = super().clean()
        if (self.ticket is not None and self.ticket.service_type.evidence_required
                and "evidence" in data and not data["evidence"]):
            self.add_error("evidence", EVIDENCE_REQUIRED)
        return data


class TicketNumbersField(forms.MultipleChoiceField):
    """The ``numbers`` of the list's selection (repeated), at most MAX_BATCH,
    duplicates dropped. Any string is a valid choice here: the scope decides
    which tickets exist (the others are reported as not found)."""

    def __init__(self, **kwargs):
        super().__init__(choices=(), **kwargs)
        self.error_messages["required"] = _("Select at least one ticket.")

    def valid_value(self, value) -> bool:
        # Ticket numbers are digits: anything else (a NUL byte, which
        # PostgreSQL refuses in a query) is a field error, not a lookup.
        value = value.strip()
        return value.isascii() and value.isdigit() and len(value) <= 20

    def clean(self, value):
        numbers = list(dict.fromkeys(n.strip() for n in super().clean(value)))
        if len(numbers) > MAX_BATCH:
            raise forms.ValidationError(_("Select at most %(limit)s tickets at once."),
                                        params={"limit": MAX_BATCH}, code="too_many")
        return numbers


class BatchReplyForm(forms.Form):
    """The list's batch reply: the selected ticket numbers and one text."""

    numbers = TicketNumbersField(label=_("Tickets"))
    body = ReplyBodyField(label=_("Your answer"), widget=forms.Textarea(attrs={"rows": 3}))


class AssignForm(forms.Form):
    """``handler`` is a username of the shop's merchants; empty unassigns."""

    handler = forms.CharField(label=_("Handler"), max_length=150, required=False)


class BulkAssignForm(AssignForm):
    numbers = TicketNumbersField(label=_("Tickets"))


class ReplyTemplateForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=60)
    body = forms.CharField(label=_("Text"), max_length=REPLY_MAX_LENGTH,
                           widget=forms.Textarea(attrs={"rows": 3}),
                           help_text=_("Placeholders: {order_number}, {tracking_number}, "
                                       "{product}, {buyer} (masked)."))
    service_type = CatalogueChoiceField(
        label=_("Service type"), queryset=ServiceType.objects.filter(is_active=True),
        to_field_name="code", required=False, empty_label=_("Every service type"),
    )


class RejectForm(forms.Form):
    """A coded reason and the agent's optional words. Only the shape is checked
    here; whether the code may be used for this ticket is the lifecycle's."""

    # In the workbench's pane after every decision: widgets without templates.
    default_renderer = QUICK_RENDERER

    reason_code = forms.CharField(
        label=_("Reason for rejection"), max_length=40,
        error_messages={"required": _("Choose a reason for the rejection.")})
    reason = forms.CharField(label=_("Details for the merchant"), max_length=1000,
                             required=False, widget=forms.Textarea(attrs={"rows": 2}),
                             help_text=_("Required for “Other”."))

    def __init__(self, *args, reasons=(), **kwargs):
        """``reasons``: the catalogue entries to offer (a select); without
        them the field is a plain text input (the API)."""
        super().__init__(*args, **kwargs)
        if reasons:
            choices = [("", _("Choose a reason")),
                       *((reason.code, reason.label) for reason in reasons)]
            self.fields["reason_code"].widget = forms.Select(choices=choices)


class CloseForm(forms.Form):
    default_renderer = QUICK_RENDERER
    note = forms.CharField(label=_("Note"), max_length=1000, required=False,
                           widget=forms.Textarea(attrs={"rows": 2}))


class TicketCreateForm(forms.Form):
    order_number = forms.CharField(label=_("Order number"), max_length=32)
    service_type = CatalogueChoiceField(
        label=_("Service type"),
        queryset=ServiceType.objects.filter(is_active=True),
        to_field_name="code",
        empty_label=None,
    )
    content = forms.CharField(label=_("What the buyer needs"), max_length=2000,
                              widget=forms.Textarea(attrs={"rows": 4}))

    def clean_order_number(self):
        number = self.cleaned_data["order_number"].strip()
        order = Order.objects.select_related("shop").filter(number=number).first()
        if order is None:
            raise forms.ValidationError(_("No order with this number."), code="unknown_order")
        self.cleaned_data["order"] = order
        return number
