"""The endpoint form, used by the settings page and the API alike."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .addresses import AddressRefused, check_url, private_allowed
from .models import WebhookEvent

# What an endpoint can subscribe to: every event but the test event, which is
# sent whenever its owner asks.
SUBSCRIBABLE = [(value, label) for value, label in WebhookEvent.choices
                if value != WebhookEvent.PING]


class EndpointForm(forms.Form):
    url = forms.URLField(label=_("URL"), max_length=500, assume_scheme="https",
                         help_text=_("Where the events are POSTed; https only."))
    events = forms.MultipleChoiceField(label=_("Events"), choices=SUBSCRIBABLE,
                                       widget=forms.CheckboxSelectMultiple)
    description = forms.CharField(label=_("Description"), max_length=200, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if private_allowed():
            # The demo and tests register receivers on this machine: say so
            # rather than promise a refusal that will not come.
            self.fields["url"].help_text = _(
                "Where the events are POSTed. This server also accepts http and private "
                "addresses (a setting for tests and demos).")

    def clean_url(self):
        url = self.cleaned_data["url"]
        try:
            check_url(url)
        except AddressRefused as refused:
            raise forms.ValidationError(refused.message, code="address_refused") from None
        return url

    def clean_events(self):
        # In the table's order, each once, whatever order they came in.
        chosen = set(self.cleaned_data["events"])
        return [value for value, _label in SUBSCRIBABLE if value in chosen]
