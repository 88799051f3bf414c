from django import forms


class MarkAllReadForm(forms.Form):
    # The newest id the page showed; a form field rather than int(), which
    # takes "٣" but chokes on "²" and on thousands of digits.
    up_to = forms.IntegerField(required=False, min_value=1)
