from django.urls import path, register_converter

from . import views
from .converters import TicketNumberConverter

register_converter(TicketNumberConverter, "ticket_number")

app_name = "tickets"

urlpatterns = [
    path("tickets/", views.ticket_list, name="list"),
    path("tickets/new/", views.ticket_create, name="create"),
    path("tickets/batch-reply/", views.batch_reply, name="batch_reply"),
    path("tickets/assign/", views.assign_many, name="assign_many"),
    path("tickets/<ticket_number:number>/", views.ticket_detail, name="detail"),
    path("tickets/<ticket_number:number>/reply/", views.reply, name="reply"),
    path("tickets/<ticket_number:number>/approve/", views.approve, name="approve"),
    path("tickets/<ticket_number:number>/reject/", views.reject, name="reject"),
    path("tickets/<ticket_number:number>/close/", views.close, name="close"),
    path("tickets/<ticket_number:number>/assign/", views.assign, name="assign"),
    path("tickets/<ticket_number:number>/presence/", views.reply_presence, name="presence"),
    path("tickets/<ticket_number:number>/evidence/<int:evidence_id>/", views.evidence_file,
         name="evidence"),
    path("tickets/<ticket_number:number>/evidence/<int:evidence_id>/thumbnail/",
         views.evidence_thumbnail, name="evidence_thumbnail"),
    path("review/", views.review_queue, name="review"),
    path("review/<ticket_number:number>/", views.review_ticket, name="review_ticket"),
    path("review/<ticket_number:number>/approve/", views.review_approve, name="review_approve"),
    path("review/<ticket_number:number>/reject/", views.review_reject, name="review_reject"),
    path("review/<ticket_number:number>/close/", views.review_close, name="review_close"),
    path("review/<ticket_number:number>/take-over/", views.review_take_over,
         name="review_take_over"),
    path("review/<ticket_number:number>/claim/", views.review_claim, name="review_claim"),
    path("handling-times/", views.handling_times, name="handling_times"),
    path("settings/templates/", views.reply_templates, name="templates"),
    path("settings/templates/<int:template_id>/delete/", views.reply_template_delete,
         name="template_delete"),
    path("settings/assignment/", views.assignment_rules, name="assignment_rules"),
]
