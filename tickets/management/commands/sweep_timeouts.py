"""Run one deadline sweep by hand, e.g. after a worker outage or from cron:

    python manage.py sweep_timeouts [--batch-size N] [--time-budget SECONDS]

Safe next to running workers: the sweep claims rows under lock."""

from django.core.management.base import BaseCommand, CommandError

from tickets.sweep import sweep_deadlines


class Command(BaseCommand):
    help = ("Time out pending tickets whose deadline has passed and send the "
            "'about to time out' reminders, once, in batches.")

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=None,
                            help="tickets per transaction (default TICKET_SWEEP_BATCH_SIZE)")
        parser.add_argument("--time-budget", type=float, default=None,
                            help="stop starting new batches after this many seconds "
                                 "(default TICKET_SWEEP_TIME_BUDGET_SECONDS)")

    def handle(self, *args, batch_size, time_budget, **options):
        if batch_size is not None and batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        if time_budget is not None and time_budget <= 0:
            raise CommandError("--time-budget must be positive.")
        result = sweep_deadlines(batch_size=batch_size, time_budget=time_budget)
        self.stdout.write(
            f"Timed out {result.timed_out} ticket(s); sent {result.warned} "
            f"due-soon reminder(s)."
        )
        if not result.finished:
            self.stdout.write(self.style.WARNING(
                "Time budget spent with work left; run again or let the beat continue."
            ))
