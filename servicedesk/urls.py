from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.generic import RedirectView

from . import health
from .login_forms import LoginForm

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="tickets:list", permanent=False), name="home"),
    path("accounts/login/", auth_views.LoginView.as_view(redirect_authenticated_user=True,
                                             authentication_form=LoginForm),
         name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("livez", health.livez, name="livez"),
    path("healthz", health.healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("notifications/", include("notifications.urls")),
    path("exports/", include("exports.urls")),
    path("scorecard/", include("scorecard.urls")),
    path("api/v1/", include("api.urls")),
    path("settings/tokens/", include("api.page_urls")),
    path("settings/webhooks/", include("webhooks.urls")),
    path("", include("tickets.urls")),
]
