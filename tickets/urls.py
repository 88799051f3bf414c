from django.urls import path, register_converter

from . import views
from .converters import TicketNumberConverter

register_converter(TicketNumberConverter, "ticket_number")

app_name = "tickets"

urlpatterns = [
    path("tickets/", views.ticket_list, name="list"),
    path("tickets/new/", views.ticket_create, name="create"),
    path("tickets/<ticket_number:number>/", views.ticket_detail, name="detail"),
    path("tickets/<ticket_number:number>/reply/", views.reply, name="reply"),
    path("tickets/<ticket_number:number>/approve/", views.approve, name="approve"),
    path("tickets/<ticket_number:number>/reject/", views.reject, name="reject"),
    path("tickets/<ticket_number:number>/close/", views.close, name="close"),
    path("tickets/<ticket_number:number>/evidence/<int:evidence_id>/", views.evidence_file,
         name="evidence"),
    path("tickets/<ticket_number:number>/evidence/<int:evidence_id>/thumbnail/",
         views.evidence_thumbnail, name="evidence_thumbnail"),
    path("review/", views.review_queue, name="review"),
    path("handling-times/", views.handling_times, name="handling_times"),
]
