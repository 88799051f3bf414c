from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApiConfig(AppConfig):
    name = "api"
    verbose_name = _("Open API")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from django.contrib.auth.models import Group, User
        from django.db.models import signals

        from tickets.models import ShopMembership

        from . import schema  # noqa: F401  (registers the token scheme with drf-spectacular)
        from .models import ApiToken
        from .tokens import forget_checked_tokens

        # What a checked token carries (api.tokens): the token itself, its user,
        # the user's role (groups) and shop. A change to any of them is seen by
        # the next request of this process.
        for model in (ApiToken, User, Group, ShopMembership):
            for signal in (signals.post_save, signals.post_delete):
                signal.connect(forget_checked_tokens, sender=model,
                               dispatch_uid=f"forget-checked-tokens-{signal}-{model.__name__}")
        signals.m2m_changed.connect(forget_checked_tokens, sender=User.groups.through,
                                    dispatch_uid="forget-checked-tokens-groups")
