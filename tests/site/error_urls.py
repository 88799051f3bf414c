"""The site's URLs plus one that fails the way a database outage does, for the
500-page test."""

from django.db import OperationalError
from django.urls import path

from servicedesk.urls import urlpatterns as site_urlpatterns


def database_gone(request):
    raise OperationalError("server closed the connection unexpectedly")


urlpatterns = [path("test-failure/", database_gone), *site_urlpatterns]
