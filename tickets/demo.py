"""Demo and benchmark data. ``seed_demo`` (the command) is a thin wrapper.

Two parts:
- ``seed_cast_and_story``: the demo shops, users, service types, orders and a
  handful of tickets in every state, made through ``tickets.lifecycle`` so their
  events, counters and notifications are real. Idempotent.
- ``bulk_seed_tickets``: many tickets fast, for benchmarks. Rows are written with
  bulk inserts in batches (the lifecycle's one-row-at-a-time path would take
  hours for a million), but every row satisfies the same database constraints
  and carries the events its state implies.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from decimal import Decimal

from django.contrib.auth.models import Group, User
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from . import assignment, lifecycle, reasons, roles
from .models import (
    AutoAssignRule,
    Order,
    ReplyTemplate,
    Resolution,
    ServiceType,
    ShippingStatus,
    Shop,
    ShopMembership,
    Ticket,
    TicketEvent,
    TicketStatus,
)
from .transitions import TRANSITIONS, Action, closing_with

DEMO_PASSWORD = "demo-pass-2026"

SERVICE_TYPES = [
    # code, Chinese name, English name, handling hours, evidence required
    ("shipping_urge", "催发货", "Shipping urge", 24, False),
    ("refund_enquiry", "退款咨询", "Refund enquiry", 24, False),
    ("return_refund", "退货退款", "Return & refund", 48, True),
    ("exchange", "换货", "Exchange", 48, True),
    ("invoice", "发票", "Invoice", 72, False),
    ("address_change", "修改地址", "Address change", 12, False),
    ("complaint", "投诉", "Complaint", 24, True),
    ("stockout_cancel", "缺货取消", "Cancellation for a stock-out", 24, False),
]

SHOPS = ["潮流服饰旗舰店", "数码配件专营店"]

PRODUCTS = [
    ("加厚保暖羽绒服 冬季新款 男女同款", "黑色 / XL", Decimal("399.00")),
    ("纯棉四件套 床上用品 1.8m床", "雾霾蓝", Decimal("189.00")),
    ("无线蓝牙耳机 降噪 长续航", "白色", Decimal("259.00")),
    ("65W 氮化镓快充充电器", "双口", Decimal("99.00")),
    ("手工红糖姜茶 500g 礼盒装", "原味", Decimal("39.90")),
    ("儿童保温杯 316不锈钢 带吸管", "粉色 500ml", Decimal("79.00")),
    ("机械键盘 87键 热插拔 茶轴", "茶轴", Decimal("329.00")),
    ("羊毛围巾 秋冬 加长款", "驼色", Decimal("149.00")),
    ("智能手环 心率血氧监测", "曜石黑", Decimal("199.00")),
    ("有机五常大米 10斤装", "2025新米", Decimal("89.00")),
]

BUYERS = ["快乐的小熊猫", "晴天娃娃", "momo酱", "追风少年", "橘子汽水", "山间清风", "喵星人",
          "Lucky7", "一颗小番茄", "夜空中最亮的星"]

ENQUIRIES = {
    "shipping_urge": "买家询问什么时候发货，已经付款三天了还没有物流信息。",
    "refund_enquiry": "买家申请退款后一直没有到账，询问退款进度。",
    "return_refund": "买家收到商品有破损，要求退货退款，已上传照片。",
    "exchange": "买家反映尺码偏小，希望换大一码。",
    "invoice": "买家需要开具增值税普通发票，抬头为公司名称。",
    "address_change": "买家下单时地址填错，希望改为新地址：上海市浦东新区张江路 100 号。",
    "complaint": "买家投诉客服回复不及时，要求商家给出说明。",
    "stockout_cancel": "商家反馈该规格缺货，买家询问是否可以取消订单并全额退款。",
}


def seed_service_types() -> dict[str, ServiceType]:
    types = {}
    for order, (code, zh, en, hours, evidence) in enumerate(SERVICE_TYPES):
        types[code], _ = ServiceType.objects.get_or_create(
            code=code,
            defaults={"name_zh": zh, "name_en": en, "handling_hours": hours,
                      "evidence_required": evidence, "sort_order": order},
        )
    return types


def _user(username: str, *, group: str | None = None, superuser: bool = False) -> User:
    user, created = User.objects.get_or_create(username=username)
    if created:
        user.set_password(DEMO_PASSWORD)
        user.is_staff = user.is_superuser = superuser
        user.save()
    if group:
        user.groups.add(Group.objects.get_or_create(name=group)[0])
    return user


def seed_cast_and_story(now: datetime | None = None) -> dict:
    """Create (once) the demo cast, the story tickets and weeks of history
    behind them (for the scorecard). Returns what exists.

    The cast and the orders are one transaction; each story step is a lifecycle
    transition, durable on its own, so it cannot run inside that one."""
    now = now or timezone.now()
    with transaction.atomic():
        cast = _seed_cast(now)
    if cast is None:
        return {"created_story": False}
    _seed_story(now, *cast)
    types, shops, merchants, agent, _orders = cast
    _seed_history(now, types, shops, merchants, agent)
    return {"created_story": True}


# Weeks of past tickets, so the scorecard has something to show: the two demo
# shops and a few more (without merchants of their own; the ranking needs them),
# each with its own habits: how often it lets a ticket time out, how often its
# answer is rejected.
HISTORY_DAYS = 35
HISTORY_SHOPS = [
    # name, share of tickets timed out, share of replies rejected, tickets per day
    ("家居生活馆", 0.22, 0.10, 0.8),
    ("美妆个护专营店", 0.04, 0.25, 1.0),
    ("母婴用品旗舰店", 0.10, 0.05, 0.6),
    ("运动户外专卖店", 0.35, 0.15, 0.6),
]
DEMO_SHOP_HABITS = [(0.06, 0.12, 1.0), (0.15, 0.08, 0.8)]
HISTORY_TYPES = ["shipping_urge", "refund_enquiry", "invoice", "address_change",
                 "stockout_cancel"]


def _seed_history(now, types, shops, merchants, agent) -> None:
    rng = random.Random(42)
    plans = [(shop, merchant, *habits)
             for shop, merchant, habits in zip(shops, merchants, DEMO_SHOP_HABITS, strict=True)]
    for name, *habits in HISTORY_SHOPS:
        shop = Shop.objects.get_or_create(name=name)[0]
        merchant = _user(f"history-{shop.pk}", group="merchant")
        merchant.set_unusable_password()
        merchant.save(update_fields=["password"])
        ShopMembership.objects.get_or_create(user=merchant, defaults={"shop": shop})
        plans.append((shop, merchant, *habits))
    serial = 0
    for shop, merchant, late_share, reject_share, per_day in plans:
        for day in range(HISTORY_DAYS, 1, -1):
            for _ in range(_poisson(rng, per_day)):
                serial += 1
                created = now - timedelta(days=day, hours=rng.uniform(0, 24))
                code = rng.choice(HISTORY_TYPES)
                title, sku, amount = PRODUCTS[serial % len(PRODUCTS)]
                order = Order.objects.create(
                    number=f"68{shop.pk:04d}{serial:012d}", shop=shop, product_title=title,
                    sku=sku, amount=amount, buyer_nickname=BUYERS[serial % len(BUYERS)],
                    paid_at=created - timedelta(days=1),
                    shipping_status=ShippingStatus.SHIPPED)
                ticket = lifecycle.create_ticket(actor=agent, order=order,
                                                 service_type=types[code],
                                                 content=ENQUIRIES[code], now=created)
                _play_history(ticket, rng, merchant=merchant, agent=agent,
                              late_share=late_share, reject_share=reject_share)


def _poisson(rng: random.Random, mean: float) -> int:
    # Knuth's method; means here are small.
    limit, count, product = pow(2.718281828, -mean), 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count


def _play_history(ticket, rng, *, merchant, agent, late_share, reject_share) -> None:
    """Reply (maybe late enough to time out), maybe get rejected and reply
    again, then approved or closed as agreed, each at a plausible time."""
    handling = timedelta(hours=ticket.service_type.handling_hours)
    now = timezone.now()
    moment = ticket.created_at
    for attempt in range(2):
        deadline = moment + handling
        if rng.random() < late_share:
            if deadline < now:  # else the sweep will, when its time comes
                lifecycle.time_out(ticket, now=deadline)
            return
        moment += handling * rng.uniform(0.02, 0.8)
        if moment >= now:
            return  # nothing is stamped in the future: left as it is today
        lifecycle.reply(ticket, actor=merchant, body="已处理，请查收。", now=moment)
        moment += timedelta(minutes=rng.uniform(10, 600))
        if moment >= now:
            return
        if attempt == 0 and rng.random() < reject_share:
            lifecycle.reject(ticket, actor=agent, reason_code="unclear_evidence",
                             reason="请补充处理凭证或物流单号。", now=moment)
            continue
        if rng.random() < 0.1:
            lifecycle.close_as_agreed(ticket, actor=agent, note="买家与商家协商一致。", now=moment)
        else:
            lifecycle.approve(ticket, actor=agent, now=moment)
        return


def _seed_cast(now: datetime):
    """The demo cast; then, unless the story exists already, its orders.
    Returns (types, shops, merchants, agent, orders), or None when the story
    is there."""
    types = seed_service_types()
    reasons.seed_catalogue()
    shops = [Shop.objects.get_or_create(name=name)[0] for name in SHOPS]
    merchants = []
    for index, shop in enumerate(shops, start=1):
        merchant = _user(f"merchant{index}", group="merchant")
        # merchant1 manages the first shop (assigns its tickets).
        ShopMembership.objects.get_or_create(user=merchant,
                                             defaults={"shop": shop, "manager": index == 1})
        merchants.append(merchant)
    # A second merchant of the first shop: someone to assign tickets to, and
    # the other person "replying" to the same ticket.
    colleague = _user("merchant1b", group="merchant")
    ShopMembership.objects.get_or_create(user=colleague, defaults={"shop": shops[0]})
    agent = _user("agent1", group="agent")
    _user("ops1", group="ops")
    _user("admin", superuser=True)

    if Ticket.objects.filter(shop__in=shops).exists():
        return None
    _seed_workday(types, shops[0], [merchants[0], colleague])

    rng = random.Random(2026)
    orders = []
    for shop_index, shop in enumerate(shops):
        for i in range(12):
            title, sku, amount = PRODUCTS[(i + shop_index * 3) % len(PRODUCTS)]
            shipped = i % 3 != 0
            tracking = f"SF{1400000000 + rng.randrange(10**8)}" if shipped else ""
            # get_or_create: a story that failed before its first ticket left its
            # orders behind; a second run reuses them.
            orders.append(Order.objects.get_or_create(
                number=f"69{shop_index + 1}{20261100000000 + i:014d}",
                defaults=dict(
                    shop=shop,
                    product_title=title,
                    sku=sku,
                    quantity=1 + i % 2,
                    amount=amount,
                    buyer_nickname=BUYERS[(i + shop_index) % len(BUYERS)],
                    paid_at=now - timedelta(days=3, hours=i),
                    shipping_status=(ShippingStatus.SHIPPED if shipped
                                     else ShippingStatus.NOT_SHIPPED),
                    tracking_number=tracking,
                ))[0])
    return types, shops, merchants, agent, orders


def _seed_story(now, types, shops, merchants, agent, orders) -> None:
    def open_ticket(order, code, created):
        return lifecycle.create_ticket(actor=agent, order=order, service_type=types[code],
                                       content=ENQUIRIES[code], now=created)

    for shop_index, shop in enumerate(shops):
        merchant = merchants[shop_index]
        shop_orders = [o for o in orders if o.shop_id == shop.id]
        o = iter(shop_orders)
        # Pending, plenty of time left.
        open_ticket(next(o), "shipping_urge", now - timedelta(hours=3))
        invoice = open_ticket(next(o), "invoice", now - timedelta(hours=30))
        if shop_index == 0:
            # The manager gave this one to the colleague (the "assigned to me" tab).
            colleague = User.objects.get(username="merchant1b")
            assignment.assign([invoice.number], actor=merchant, handler=colleague,
                              now=now - timedelta(hours=29))
        # Pending, due soon (amber countdown, due-soon reminder).
        open_ticket(next(o), "refund_enquiry", now - timedelta(hours=22, minutes=40))
        # Pending and times out a couple of minutes after the demo starts: the
        # sweep closes it without anyone touching it.
        open_ticket(next(o), "address_change", now - timedelta(hours=11, minutes=57))
        # Under review: the agent's queue.
        t = open_ticket(next(o), "shipping_urge", now - timedelta(hours=8))
        lifecycle.reply(t, actor=merchant, body="已安排今天下午发货，顺丰快递，单号稍后同步。",
                        now=now - timedelta(hours=6))
        t = open_ticket(next(o), "stockout_cancel", now - timedelta(hours=5))
        lifecycle.reply(t, actor=merchant, body="该规格确实缺货，同意取消订单并全额退款。",
                        now=now - timedelta(hours=1))
        # Rejected once, pending again with a fresh countdown.
        t = open_ticket(next(o), "refund_enquiry", now - timedelta(hours=20))
        lifecycle.reply(t, actor=merchant, body="退款已处理。", now=now - timedelta(hours=18))
        lifecycle.reject(t, actor=agent, now=now - timedelta(hours=4),
                         reason_code="not_solved",
                         reason="回复过于简单：请说明退款金额、退款渠道和预计到账时间。")
        # Closed: approved, agreed, timed out.
        t = open_ticket(next(o), "invoice", now - timedelta(days=2))
        lifecycle.reply(t, actor=merchant, body="电子发票已开具并发送至买家邮箱。",
                        now=now - timedelta(days=1, hours=20))
        lifecycle.approve(t, actor=agent, now=now - timedelta(days=1, hours=18))
        t = open_ticket(next(o), "exchange", now - timedelta(days=3))
        lifecycle.close_as_agreed(t, actor=agent, note="买家与商家协商一致，改为部分退款 30 元。",
                                  now=now - timedelta(days=2, hours=12))
        t = open_ticket(next(o), "shipping_urge", now - timedelta(days=4))
        lifecycle.time_out(t, now=t.deadline)
    _seed_review_queue(now, types, shops, merchants, agent, orders)


# More replies for agent1's review queue (with the two per shop above, sixteen),
# so the workbench can be cleared from the keyboard: (service type, the
# merchant's reply, the rejection it got earlier or None).
REVIEW_QUEUE = [
    ("shipping_urge", "已于今日上午发出，中通快递 ZT7712340098，预计两天内送达。", None),
    ("refund_enquiry", "退款 189 元已原路退回支付宝，银行处理需 1–3 个工作日。",
     ("not_solved", "请说明退款金额和到账时间。")),
    ("invoice", "发票已开具，电子版已发送至买家预留邮箱。", None),
    ("address_change", "已联系仓库拦截，收货地址改为上海市浦东新区张江路 100 号。", None),
    ("stockout_cancel", "该颜色断货，已为买家取消订单并全额退款。", None),
    ("shipping_urge", "仓库排单中，明天一定发出。", ("invalid_tracking", "")),
]


def _seed_review_queue(now, types, shops, merchants, agent, orders) -> None:
    """Six replies per shop waiting for review, each an hour or so apart; two
    were rejected once before (the workbench shows those rejections)."""
    for shop_index, shop in enumerate(shops):
        merchant = merchants[shop_index]
        shop_orders = [o for o in orders if o.shop_id == shop.id]
        for index, (code, body, rejected) in enumerate(REVIEW_QUEUE):
            order = shop_orders[(index + 4) % len(shop_orders)]
            opened = now - timedelta(hours=11, minutes=10 * index + shop_index)
            ticket = lifecycle.create_ticket(actor=agent, order=order, service_type=types[code],
                                             content=ENQUIRIES[code], now=opened)
            if rejected is not None:
                reason_code, text = rejected
                lifecycle.reply(ticket, actor=merchant, body="已处理。",
                                now=opened + timedelta(minutes=30))
                lifecycle.reject(ticket, actor=agent, reason_code=reason_code, reason=text,
                                 now=opened + timedelta(hours=1))
            lifecycle.reply(ticket, actor=merchant, body=body,
                            now=opened + timedelta(hours=2, minutes=index * 7))


def _seed_workday(types, shop: Shop, staff: list[User]) -> None:
    """Reply templates (the shop's and the platform's) and a round-robin rule:
    the first shop's new shipping-urge tickets alternate between its merchants."""
    ReplyTemplate.objects.get_or_create(
        shop=None, service_type=types["shipping_urge"], title="已发货（平台模板）",
        defaults={"body": "您好，订单 {order_number} 已发货，"
                          "物流单号 {tracking_number}，请留意查收。"})
    ReplyTemplate.objects.get_or_create(
        shop=shop, service_type=None, title="已处理",
        defaults={"body": "{buyer} 您好，关于「{product}」的问题我们已处理，订单 {order_number}。"})
    ReplyTemplate.objects.get_or_create(
        shop=shop, service_type=types["refund_enquiry"], title="退款说明",
        defaults={"body": "订单 {order_number} 的退款已原路退回，预计 1–3 个工作日到账。"})
    rule, _created = AutoAssignRule.objects.get_or_create(shop=shop,
                                                          service_type=types["shipping_urge"])
    rule.staff.set(staff)


# --- Bulk seeding for benchmarks ---------------------------------------------------

BULK_SHOP_COUNT = 20


def _bulk_shops() -> list[Shop]:
    """The two demo shops carry a big share (a large merchant is the hard case for
    the merchant's pages); the rest spreads over twenty more shops."""
    demo = [Shop.objects.get_or_create(name=name)[0] for name in SHOPS]
    extra = [Shop.objects.get_or_create(name=f"批量店铺{i:02d}")[0]
             for i in range(1, BULK_SHOP_COUNT + 1)]
    return demo + extra


def _shop_merchants(shops: list[Shop]) -> dict[int, User]:
    """A merchant per shop to sign the seeded replies: the shop's own (merchant1
    for the first demo shop), else one made for the purpose, without a usable
    password (nobody logs in as it)."""
    merchants = {}
    for membership in (roles.merchant_memberships().filter(shop__in=shops)
                       .select_related("user").order_by("id")):
        merchants.setdefault(membership.shop_id, membership.user)
    group = Group.objects.get_or_create(name=roles.Role.MERCHANT)[0]
    for shop in shops:
        if shop.pk not in merchants:
            user, created = User.objects.get_or_create(username=f"bulk_merchant_{shop.pk}")
            if created:
                user.set_unusable_password()
                user.save(update_fields=["password"])
            user.groups.add(group)
            ShopMembership.objects.get_or_create(user=user, defaults={"shop": shop})
            merchants[shop.pk] = user
    return merchants


# The text of a seeded event, by action (create's text is the ticket's content).
SEEDED_TEXT = {Action.REPLY: "已处理，请查收。"}


def _seeded_events(ticket: Ticket, steps, *, agent: User, merchant: User) -> list[TicketEvent]:
    """The events of ``steps`` ([(action, when), ...] from creation on), walked
    through the transition table so every step is one the lifecycle could take,
    with the actor the table allows: the shop's merchant for a reply, the agent
    for an agent's action, nobody (the platform) for a timeout."""
    events, status = [], ""
    for action, at in steps:
        transition = TRANSITIONS[action]
        if status and not transition.starts_from(status):
            raise ValueError(f"a seeded {action} cannot start from {status}")
        if transition.by_platform:
            actor = None
        else:
            actor = merchant if roles.Role.MERCHANT in transition.roles else agent
        text = ticket.content if action == Action.CREATE else SEEDED_TEXT.get(action, "")
        events.append(TicketEvent(ticket=ticket, actor=actor, kind=transition.event,
                                  from_status=status, to_status=transition.target, text=text,
                                  created_at=at))
        status = transition.target
    if status != ticket.status:
        raise ValueError(f"seeded steps end in {status}, the ticket is {ticket.status}")
    return events


def bulk_seed_tickets(count: int, *, overdue: int = 0, now: datetime | None = None,
                      batch_size: int = 5000, progress=None) -> int:
    """Insert ``count`` tickets (two per order). ``overdue`` of them are pending
    with a passed deadline (for the sweep benchmark); of the others about 10 %
    are pending with time left, 10 % under review and 80 % closed. Returns the
    number inserted."""
    now = now or timezone.now()
    types = list(seed_service_types().values())
    shops = _bulk_shops()
    # 30 % to merchant1's shop, 10 % to merchant2's, the rest spread out.
    shop_weights = [30, 10] + [60 / BULK_SHOP_COUNT] * BULK_SHOP_COUNT
    agent = _user("agent1", group="agent")
    merchants = _shop_merchants(shops)
    rng = random.Random(count * 7 + overdue)
    first_ticket = (Ticket.objects.aggregate(m=Max("id"))["m"] or 0) + 1
    first_order = (Order.objects.aggregate(m=Max("id"))["m"] or 0) + 1
    made = 0
    while made < count:
        size = min(batch_size, count - made)
        with transaction.atomic():
            _insert_batch(size, start=made, overdue=overdue, now=now, rng=rng, types=types,
                          shops=shops, shop_weights=shop_weights, agent=agent,
                          merchants=merchants, ticket_seq=first_ticket + made,
                          order_seq=first_order + made)
        made += size
        if progress:
            progress(made)
    refresh_statistics()
    return made


def refresh_statistics() -> None:
    """After a bulk load: VACUUM ANALYZE on PostgreSQL, ANALYZE on SQLite.

    Without fresh statistics the planners pick the wrong index for some list
    pages (SQLite: 1.9 s instead of 7 ms for an order-number filter), and a
    never-vacuumed PostgreSQL table has no visibility map, so its index-only
    scans visit the heap for every row (pages up to 265 ms instead of 20 ms at
    1,000,000 tickets). Autovacuum gets there by itself, minutes later; a
    benchmark run right after seeding must not measure that gap. VACUUM cannot
    run inside a transaction (a test's): there only ANALYZE."""
    statement = ("VACUUM ANALYZE" if connection.vendor == "postgresql"
                 and not connection.in_atomic_block else "ANALYZE")
    with connection.cursor() as cursor:
        cursor.execute(statement)


def _insert_batch(size, *, start, overdue, now, rng, types, shops, shop_weights, agent,
                  merchants, ticket_seq, order_seq):
    year = timedelta(days=365)
    orders, tickets = [], []
    shop_choices = rng.choices(shops, weights=shop_weights, k=(size + 1) // 2)
    for i in range((size + 1) // 2):
        title, sku, amount = PRODUCTS[rng.randrange(len(PRODUCTS))]
        orders.append(Order(
            number=f"68{order_seq + i:017d}", shop=shop_choices[i], product_title=title,
            sku=sku, quantity=1, amount=amount, buyer_nickname=rng.choice(BUYERS),
            paid_at=now - year * rng.random() - timedelta(days=1),
            shipping_status=ShippingStatus.SHIPPED, tracking_number="",
        ))
    Order.objects.bulk_create(orders)
    steps = []
    for i in range(size):
        n = start + i
        order = orders[i // 2]
        stype = types[rng.randrange(len(types))]
        handling = timedelta(hours=stype.handling_hours)
        ticket = Ticket(number="", shop_id=order.shop_id, order=order, service_type=stype,
                        content=ENQUIRIES[stype.code], created_by=agent)
        roll = rng.random()
        # What happened after creation: [(action, when), ...].
        path = []
        if n < overdue:
            # Overdue: created more than its handling time ago, never answered.
            ticket.created_at = now - handling - timedelta(minutes=1 + rng.randrange(600))
            ticket.status, ticket.deadline = TicketStatus.PENDING, ticket.created_at + handling
        elif roll < 0.10:
            ticket.created_at = now - handling * rng.uniform(0.05, 0.95)
            ticket.status, ticket.deadline = TicketStatus.PENDING, ticket.created_at + handling
        elif roll < 0.20:
            ticket.created_at = now - timedelta(hours=rng.uniform(1, 24 * 7))
            ticket.status = TicketStatus.UNDER_REVIEW
            ticket.first_replied_at = ticket.last_replied_at = min(
                now, ticket.created_at + handling * rng.uniform(0.1, 0.9))
            path.append((Action.REPLY, ticket.first_replied_at))
        else:
            ticket.created_at = now - year * rng.random() - timedelta(days=7)
            closing = closing_with(rng.choices(
                [Resolution.APPROVED, Resolution.TIMED_OUT, Resolution.AGREED], [80, 12, 8])[0])
            ticket.status, ticket.resolution = closing.target, closing.resolution
            if closing.action == Action.TIME_OUT:
                ticket.closed_at = ticket.created_at + handling
            else:
                ticket.first_replied_at = ticket.last_replied_at = \
                    ticket.created_at + handling * rng.uniform(0.1, 0.9)
                ticket.closed_at = ticket.last_replied_at + timedelta(hours=rng.uniform(0.5, 8))
                path.append((Action.REPLY, ticket.first_replied_at))
            path.append((closing.action, ticket.closed_at))
        # The last transition's time, as the lifecycle would have left it.
        ticket.updated_at = path[-1][1] if path else ticket.created_at
        local = timezone.localtime(ticket.created_at)
        # Leading 0 in the random part: never clashes with lifecycle-made numbers.
        ticket.number = f"{local:%y%m%d}0{(ticket_seq + i) % 10**9:09d}"
        tickets.append(ticket)
        steps.append([(Action.CREATE, ticket.created_at), *path])
    Ticket.objects.bulk_create(tickets)
    events = [event for ticket, path in zip(tickets, steps, strict=True)
              for event in _seeded_events(ticket, path, agent=agent,
                                          merchant=merchants[ticket.shop_id])]
    TicketEvent.objects.bulk_create(events)
