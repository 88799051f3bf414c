"""What keeps the scorecard current, in the order it runs: the rollups brought
up to date, the new rollups' durations computed for the pages, and the open
tickets' kept changes folded. The beat task, ``manage.py refresh_scorecard``
and the benchmark all run this one sequence."""

from __future__ import annotations

from . import figures, open_counts
from .refresh import RefreshResult, refresh


def bring_up_to_date(*, full: bool = False) -> RefreshResult:
    result = refresh(full=full)
    figures.warm()
    open_counts.compact()
    return result
