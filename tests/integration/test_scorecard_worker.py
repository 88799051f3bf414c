"""The scorecard's refresh through the real path: a Celery worker with its
embedded beat, as a subprocess against Redis and the PostgreSQL test database,
refreshing every second. The test only creates tickets and watches the rollups."""

import pytest

from scorecard.models import RefreshState, ShopDay
from tests.integration.conftest import wait_for

pytestmark = pytest.mark.redis


def test_beat_keeps_the_rollups_up_to_date(celery_worker_factory, make_ticket, shop_a):
    make_ticket()
    worker = celery_worker_factory(beat=True, SCORECARD_REFRESH_SECONDS=1,
                                   TICKET_SWEEP_INTERVAL_SECONDS=3600)
    wait_for(lambda: ShopDay.objects.filter(shop=shop_a, received=1).exists(),
             timeout=60, worker=worker)
    make_ticket()
    wait_for(lambda: ShopDay.objects.filter(shop=shop_a, received=2).exists(),
             timeout=60, worker=worker)
    assert worker.stop() == 0, worker.log()[-3000:]
    assert ShopDay.objects.count() == 1
    assert RefreshState.objects.get().covered_until is not None
