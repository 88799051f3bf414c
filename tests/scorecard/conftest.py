import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from scorecard.refresh import refresh
from tickets import lifecycle
from tickets.sweep import sweep_deadlines


@pytest.fixture
def history(make_ticket, merchant, agent, shop_a, shop_b):
    """Three days ago: shop A gets three tickets (one approved after a reply,
    one left to time out, one closed as agreed) and shop B one that times out;
    today shop A gets one more, pending. Then the scorecard is refreshed."""
    start = timezone.now() - dt.timedelta(days=3)
    with time_machine.travel(start, tick=False):
        approved = make_ticket()
        late = make_ticket()
        agreed = make_ticket()
        other = make_ticket(shop=shop_b)
    with time_machine.travel(start + dt.timedelta(seconds=95), tick=False):
        lifecycle.reply(approved, actor=merchant, body="已发货")
    with time_machine.travel(start + dt.timedelta(minutes=10), tick=False):
        lifecycle.approve(approved, actor=agent)
        lifecycle.close_as_agreed(agreed, actor=agent)
    with time_machine.travel(start + dt.timedelta(days=2), tick=False):
        sweep_deadlines()
    pending = make_ticket()
    refresh()
    return {"approved": approved, "late": late, "agreed": agreed, "other": other,
            "pending": pending}
