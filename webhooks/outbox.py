"""The webhook outbox: delivery rows written in the transaction of the change
that causes them, handed to Celery once that transaction commits.

``record`` is called by the ticket lifecycle (one ticket) and by the deadline
sweep (a batch) inside their durable transaction, like the notifications: a
rolled-back transition leaves no delivery, a committed one has exactly one per
endpoint that subscribes to the event and may see the ticket. It is one
``INSERT ... SELECT`` whatever the number of tickets and endpoints (the
tickets' ids and shops are one parameter each, ``tickets.id_lists``), so a
sweep batch pays one statement.

Sending starts on commit (``publish``). If the broker is down then, the rows
are still there, due now: the periodic retry pass (``webhooks.tasks``) sends
them. At least once, never lost.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from functools import partial

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.models import Q

from tickets import roles
from tickets.id_lists import rows_subquery
from tickets.models import ShopMembership, Ticket
from tickets.roles import Role

from .models import Delivery, DeliveryStatus, Endpoint

logger = logging.getLogger(__name__)

# One commit's rows go to the workers in messages of at most this many, split
# further there (webhooks.tasks.SEND_CHUNK): a sweep batch is thousands of rows,
# and its commit should not wait for thousands of broker round trips.
FAN_OUT_CHUNK = 100
PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.2,
                        "interval_max": 0.5}


def _all_shops_owners():
    """Users whose endpoints receive every shop's events: agents, ops and
    administrators, as ``tickets.roles`` ranks them (an agent who is also in
    the merchant group is an agent)."""
    return (get_user_model()._default_manager
            .filter(Q(is_superuser=True) | Q(groups__name__in=[Role.AGENT, Role.OPS]),
                    is_active=True)
            .values("pk"))


def _random_uuid_sql() -> str:
    # SQLite has no UUID function; Django keeps UUIDs there as 32 hex digits.
    if connection.vendor == "postgresql":
        return "gen_random_uuid()"
    return "lower(hex(randomblob(16)))"


def _insert(event_type: str, tickets: Sequence[tuple[int, int]], now: datetime) -> list[int]:
    """One row per (ticket, endpoint) the event goes to: an active endpoint that
    subscribes to ``event_type`` and whose owner may see the ticket (the scope
    of ``Ticket.objects.visible_to``: a merchant's own shop, everything for
    agents, ops and administrators). The ORM writes the subqueries; it has no
    cross join or INSERT ... SELECT, so the frame is SQL.

    The two kinds of owner are two branches of a UNION ALL, each joined on its
    own terms: one condition ``owner sees everything OR (owner, shop) is a
    merchant's`` cannot be a hash join, so PostgreSQL looked every ticket of the
    batch up again for each endpoint (bench_sweep --webhooks: most of the
    sweep's extra time over the bare UPDATE). The second branch leaves out the
    owners of the first, so no pair is written twice whatever the roles say.

    ``tickets`` are (id, shop id) pairs: the callers have both (a sweep batch
    from its UPDATE's RETURNING), and reading the shops from the ticket table
    again was an index lookup per ticket of the batch.

    No ORDER BY: the rows' ids promise no order (the workers send a commit's
    chunks side by side; the payload's ``created_at`` says when it happened),
    and on SQLite sorting the batch's rows was a third of the statement's time."""
    quote = connection.ops.quote_name
    delivery, ticket, endpoint = Delivery._meta, Ticket._meta, Endpoint._meta

    def column(opts, name):
        return quote(opts.get_field(name).column)

    subscribed, subscribed_params = (Endpoint.objects.subscribed_to(event_type)
                                     .values("pk").query.sql_with_params())
    everyone, everyone_params = _all_shops_owners().query.sql_with_params()
    # Distinct, so that joining them is the same as asking whether the pair is one.
    merchants, merchants_params = (roles.merchant_memberships().order_by()
                                   .values("user_id", "shop_id").distinct()
                                   .query.sql_with_params())
    membership = ShopMembership._meta
    user_col, shop_col = column(membership, "user"), column(membership, "shop")
    columns = ", ".join(column(delivery, name) for name in (
        "endpoint", "ticket", "event_id", "type", "payload", "status", "attempts",
        "next_attempt_at", "last_error", "response_body", "created_at"))
    at = delivery.get_field("created_at").get_db_prep_value(now, connection)
    e_owner, e_id = f"e.{column(endpoint, 'owner')}", f"e.{column(endpoint, 'id')}"
    t_id, t_shop = column(ticket, "id"), column(ticket, "shop")
    pairs_sql, pairs_params = rows_subquery(tickets, (t_id, t_shop))
    endpoints = f"{quote(endpoint.db_table)} e"
    sql = (
        f"INSERT INTO {quote(delivery.db_table)} ({columns}) "
        # The batch's tickets, read once for both branches.
        f"WITH t AS MATERIALIZED ({pairs_sql}) "
        f"SELECT pair.endpoint_id, pair.ticket_id, {_random_uuid_sql()}, %s, '', %s, 0, %s, "
        f"'', '', %s FROM ("
        f"SELECT {e_id} AS endpoint_id, t.{t_id} AS ticket_id FROM t, {endpoints} "
        f"WHERE {e_id} IN ({subscribed}) AND {e_owner} IN ({everyone}) "
        f"UNION ALL "
        f"SELECT {e_id}, t.{t_id} FROM t "
        f"JOIN ({merchants}) m ON m.{shop_col} = t.{t_shop} "
        f"JOIN {endpoints} ON {e_owner} = m.{user_col} "
        f"WHERE {e_id} IN ({subscribed}) AND {e_owner} NOT IN ({everyone})"
        f") pair "
        f"RETURNING {quote(delivery.pk.column)}"
    )
    params = [*pairs_params, event_type, DeliveryStatus.PENDING.value, at, at,
              *subscribed_params, *everyone_params,
              *merchants_params, *subscribed_params, *everyone_params]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [row[0] for row in cursor.fetchall()]


def record(event_type: str, tickets: Sequence[Ticket], *, now: datetime) -> int:
    """Write the deliveries of ``event_type`` for ``tickets`` in the current
    transaction, and send them once it commits. Returns how many rows."""
    # Most deployments have no endpoint for most events: a look at the few
    # endpoint rows is cheaper than planning the INSERT (a sweep asks per batch).
    if not tickets or not Endpoint.objects.subscribed_to(event_type).exists():
        return 0
    created = _insert(event_type, [(ticket.pk, ticket.shop_id) for ticket in tickets], now)
    if created:
        transaction.on_commit(partial(publish, created))
    return len(created)


def publish(delivery_ids: Sequence[int]) -> bool:
    """Hand the deliveries to the workers. False when the broker refused
    (logged): the rows stay due and the retry pass sends them."""
    from .tasks import send_deliveries

    try:
        for start in range(0, len(delivery_ids), FAN_OUT_CHUNK):
            send_deliveries.apply_async((list(delivery_ids[start:start + FAN_OUT_CHUNK]),),
                                        retry=True, retry_policy=PUBLISH_RETRY_POLICY)
    except Exception:
        # Whatever kept the message from the broker: the retry pass picks the
        # rows up (they are due now), so the change's own response is unaffected.
        logger.exception("could not publish %d webhook deliveries", len(delivery_ids))
        return False
    return True
