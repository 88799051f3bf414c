"""Forms for the ticket pages. They check the shape of the input (400 with field
errors); whether the action is allowed right now is the lifecycle's business."""

from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from .models import Order, ServiceType


class MultipleImageInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class EvidenceField(forms.ImageField):
    """Zero to EVIDENCE_MAX_FILES images. Each one is checked by its content
    (Pillow opens and verifies it, as ImageField does), never by its file name."""

    widget = MultipleImageInput

    default_error_messages = {
        "too_many": ngettext_lazy(
            "Attach at most %(limit)d image.", "Attach at most %(limit)d images.", "limit"),
        "too_big": _("%(name)s is larger than %(limit)s."),
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)
        self.widget.attrs.setdefault("accept", "image/*")

    def clean(self, data, initial=None):
        files = [f for f in (data or []) if f] if isinstance(data, list | tuple) else \
            ([data] if data else [])
        limit = settings.EVIDENCE_MAX_FILES
        if len(files) > limit:
            raise forms.ValidationError(self.error_messages["too_many"] % {"limit": limit},
                                        code="too_many")
        cleaned = []
        for upload in files:
            # Size first: no need to decode a 50 MB file to refuse it.
            if upload.size > settings.EVIDENCE_MAX_BYTES:
                raise forms.ValidationError(
                    self.error_messages["too_big"],
                    code="too_big",
                    params={"name": upload.name,
                            "limit": filesizeformat(settings.EVIDENCE_MAX_BYTES)},
                )
            cleaned.append(super().clean(upload, initial))
        return cleaned


class ReplyForm(forms.Form):
    body = forms.CharField(label=_("Reply"), widget=forms.Textarea(attrs={"rows": 4}),
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
