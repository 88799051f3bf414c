from django.core.management.base import BaseCommand

from scorecard.upkeep import bring_up_to_date


class Command(BaseCommand):
    help = ("Bring the scorecard's daily rollups up to date now (the days changed since "
            "the last refresh; --full: every day, e.g. after a shop's time zone changed).")

    def add_arguments(self, parser):
        parser.add_argument("--full", action="store_true",
                            help="Rebuild every day of every shop.")

    def handle(self, *args, full: bool = False, **options):
        result = bring_up_to_date(full=full)
        self.stdout.write(f"Rebuilt {result.days} shop-days ({result.rows} rows) "
                          f"as of {result.refreshed_at.isoformat()}.")
