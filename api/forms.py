from datetime import timedelta

from django import forms
from django.utils.translation import gettext_lazy as _

EXPIRY_CHOICES = [("30", _("30 days")), ("90", _("90 days")), ("365", _("1 year")),
                  ("never", _("Never"))]


class TokenCreateForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100,
                           help_text=_("What uses it, e.g. \"ERP sync\"."))
    read_only = forms.BooleanField(label=_("Read-only"), required=False)
    expires = forms.ChoiceField(label=_("Expires after"), choices=EXPIRY_CHOICES, initial="90")

    def expires_in(self) -> timedelta | None:
        value = self.cleaned_data["expires"]
        return None if value == "never" else timedelta(days=int(value))
