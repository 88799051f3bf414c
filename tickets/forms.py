"""Forms for the ticket pages. They check the shape of the input (400 with field
errors); whether the action is allowed right now is the lifecycle's business."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .evidence import EvidenceRefused, process_uploads
from .models import Order, ServiceType


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


class ReplyForm(forms.Form):
    body = forms.CharField(label=_("Your answer"), widget=forms.Textarea(attrs={"rows": 4}),
                           max_length=2000)
    evidence = EvidenceField(label=_("Evidence images"))


class RejectForm(forms.Form):
    reason = forms.CharField(label=_("Reason for rejection"), max_length=1000,
                             widget=forms.Textarea(attrs={"rows": 2}))


class CloseForm(forms.Form):
    note = forms.CharField(label=_("Note"), max_length=1000, required=False,
                           widget=forms.Textarea(attrs={"rows": 2}))


class TicketCreateForm(forms.Form):
    order_number = forms.CharField(label=_("Order number"), max_length=32)
    service_type = forms.ModelChoiceField(
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
