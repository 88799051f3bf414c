"""Whose scorecard a user may read: a merchant their own shop's, agents and
ops every shop's (and the ranking). Pages, the API and the export all ask here,
and a shop the user may not read is the same 404 as a shop that does not exist."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from tickets import roles
from tickets.models import Shop


def shops_visible_to(user) -> QuerySet[Shop]:
    if roles.sees_all_shops(user):
        return Shop.objects.all()
    if roles.is_merchant(user):
        return Shop.objects.filter(pk=roles.shop_id_of(user))
    return Shop.objects.none()


def sees_ranking(user) -> bool:
    return roles.sees_all_shops(user)


def visible_shop(user, shop_id: int) -> Shop:
    shop = shops_visible_to(user).filter(pk=shop_id).first()
    if shop is None:
        raise Http404("no such shop")
    return shop


def own_shop(user) -> Shop | None:
    """A merchant's shop (the scorecard they land on); None for everyone else."""
    if not roles.is_merchant(user):
        return None
    return Shop.objects.filter(pk=roles.shop_id_of(user)).first()
