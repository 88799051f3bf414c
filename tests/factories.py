"""factory-boy factories for the standard cast and for tickets in any state.

Tickets in a later state are built through ``tickets.lifecycle`` (see the
``make_*`` helpers in conftest), so their events and counters are real."""

import datetime as dt
from decimal import Decimal

import factory
from django.contrib.auth.models import Group, User
from django.utils import timezone

from tickets.models import Order, ServiceType, Shop, ShopMembership


class ShopFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Shop

    name = factory.Sequence(lambda n: f"测试店铺{n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.django.Password("pw-test-123")

    @factory.post_generation
    def role(self, create, extracted, **kwargs):
        if extracted:
            self.groups.add(Group.objects.get_or_create(name=extracted)[0])


class MerchantFactory(UserFactory):
    @factory.post_generation
    def role(self, create, extracted, **kwargs):
        self.groups.add(Group.objects.get_or_create(name=extracted or "merchant")[0])

    membership = factory.RelatedFactory(
        "tests.factories.MembershipFactory", factory_related_name="user"
    )


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ShopMembership

    user = factory.SubFactory(UserFactory)
    shop = factory.SubFactory(ShopFactory)


class ServiceTypeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ServiceType
        django_get_or_create = ("code",)

    code = "shipping_urge"
    name_zh = "催发货"
    name_en = "Shipping urge"
    handling_hours = 24
    evidence_required = False


class OrderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Order

    number = factory.Sequence(lambda n: f"69{n:017d}")
    shop = factory.SubFactory(ShopFactory)
    product_title = "加厚保暖羽绒服 冬季新款"
    sku = "黑色 / XL"
    quantity = 1
    amount = Decimal("299.00")
    buyer_nickname = "快乐的小熊猫"
    paid_at = factory.LazyFunction(lambda: timezone.now() - dt.timedelta(days=2))
    tracking_number = ""
