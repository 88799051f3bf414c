import time

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from tickets import demo


class Command(BaseCommand):
    help = ("Create the demo shops, users, service types and tickets in every state "
            "(idempotent). With --tickets N, also bulk-insert N extra tickets for benchmarks.")

    def add_arguments(self, parser):
        parser.add_argument("--tickets", type=int, default=0,
                            help="bulk-insert this many extra tickets (not idempotent)")
        parser.add_argument("--overdue", type=int, default=0,
                            help="of the extra tickets, how many are pending and overdue")

    def handle(self, *args, tickets: int, overdue: int, **options):
        if tickets < 0 or overdue < 0 or overdue > tickets:
            raise CommandError("--tickets and --overdue must be >= 0 and overdue <= tickets")
        result = demo.seed_cast_and_story()
        self.stdout.write("Demo story tickets created." if result["created_story"]
                          else "Demo data already present; nothing duplicated.")
        self.stdout.write(
            f"Demo logins (password {demo.DEMO_PASSWORD!r}, demo only): merchant1 (shop "
            f"{demo.SHOPS[0]}), merchant2 (shop {demo.SHOPS[1]}), agent1, ops1, admin."
        )
        if tickets:
            started = time.monotonic()

            def progress(done):
                if done % 100_000 == 0 or done == tickets:
                    self.stdout.write(f"  {done:,} tickets ({time.monotonic() - started:.0f} s)")

            demo.bulk_seed_tickets(tickets, overdue=overdue, progress=progress)
            elapsed = time.monotonic() - started
            self.stdout.write(f"Inserted {tickets:,} tickets in {elapsed:.1f} s.")
        # The scorecard's rollups, up to date with what was just written.
        call_command("refresh_scorecard", stdout=self.stdout)
