"""Login forms that hold the username to its length.

Django's AuthenticationForm sets ``max_length`` on its username field after the
field is built, so the length is shown to the browser but never validated: a
100,000-character username reached ``authenticate()``, and django-axes' record of
the failed attempt (a varchar(255)) turned it into a 500 on PostgreSQL. A name
longer than any user's can only be a failed login, so it is a form error before
anyone authenticates (and nothing is recorded)."""

from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.core.validators import MaxLengthValidator


class _UsernameLengthChecked:
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["username"]
        field.validators.append(MaxLengthValidator(field.max_length))


class LoginForm(_UsernameLengthChecked, AuthenticationForm):
    pass


class AdminLoginForm(_UsernameLengthChecked, AdminAuthenticationForm):
    pass
