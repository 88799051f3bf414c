from django.urls import path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.permissions import AllowAny

from . import scorecard, views, webhooks

app_name = "api"

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(permission_classes=[AllowAny]), name="schema"),
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api:schema",
                                                      permission_classes=[AllowAny]),
         name="docs"),
    path("tickets/", views.TicketListView.as_view(), name="tickets"),
    path("tickets/<str:number>/", views.TicketDetailView.as_view(), name="ticket"),
    path("tickets/<str:number>/reply/", views.ReplyView.as_view(), name="reply"),
    path("tickets/<str:number>/approve/", views.ApproveView.as_view(), name="approve"),
    path("tickets/<str:number>/reject/", views.RejectView.as_view(), name="reject"),
    path("tickets/<str:number>/close/", views.CloseView.as_view(), name="close"),
    path("tickets/<str:number>/evidence/<int:evidence_id>/", views.EvidenceView.as_view(),
         name="evidence"),
    path("service-types/", views.ServiceTypeListView.as_view(), name="service-types"),
    path("reply-templates/", views.ReplyTemplateListView.as_view(), name="reply-templates"),
    path("reply-templates/<int:pk>/", views.ReplyTemplateDetailView.as_view(),
         name="reply-template"),
    path("exports/", views.ExportCreateView.as_view(), name="exports"),
    path("exports/<int:pk>/", views.ExportDetailView.as_view(), name="export"),
    path("exports/<int:pk>/download/", views.ExportDownloadView.as_view(),
         name="export-download"),
    path("notifications/", views.NotificationListView.as_view(), name="notifications"),
    path("notifications/<int:pk>/read/", views.NotificationReadView.as_view(),
         name="notification-read"),
    path("webhooks/", webhooks.WebhookListView.as_view(), name="webhooks"),
    path("webhooks/<int:pk>/", webhooks.WebhookDetailView.as_view(), name="webhook"),
    path("webhooks/<int:pk>/ping/", webhooks.WebhookPingView.as_view(), name="webhook-ping"),
    path("scorecard/", scorecard.ScorecardView.as_view(), name="scorecard"),
    re_path(r"^.*$", views.NotFoundView.as_view(), name="not-found"),
]
