"""The authentication backend of the site (logins and sessions)."""

from django.contrib.auth.backends import ModelBackend

from . import roles


class RoleAwareBackend(ModelBackend):
    """Django's ModelBackend, but the user of each request's session comes with
    its role and shop in the same query (``roles.load_user``): the session's
    user, the role and the shop were three queries on every page."""

    def get_user(self, user_id):
        user = roles.load_user(user_id)
        return user if user is not None and self.user_can_authenticate(user) else None
