"""Print a new personal API token for a user (the last line of output)."""

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from api.tokens import create_token


class Command(BaseCommand):
    help = "Create a personal API token for USERNAME; the token is the last line printed."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", required=True)
        parser.add_argument("--read-only", action="store_true")
        parser.add_argument("--expires-days", type=int, default=None,
                            help="Expire after this many days (default: never).")

    def handle(self, *args, username, name, read_only, expires_days, **options):
        try:
            user = get_user_model().objects.get(username=username)
        except get_user_model().DoesNotExist:
            raise CommandError(f"No user {username!r}.") from None
        if not name.strip():
            raise CommandError("--name must not be empty.")
        if expires_days is not None and expires_days <= 0:
            raise CommandError("--expires-days must be positive.")
        expires_at = timezone.now() + timedelta(days=expires_days) if expires_days else None
        token, raw = create_token(user=user, name=name, read_only=read_only,
                                  expires_at=expires_at)
        scope = "read-only" if read_only else "read-write"
        self.stderr.write(f"Token {token.prefix} ({scope}) for {username}; shown only now:")
        self.stdout.write(raw)
