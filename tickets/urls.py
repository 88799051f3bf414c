from django.urls import path

from . import views

app_name = "tickets"

urlpatterns = [
    path("tickets/", views.ticket_list, name="list"),
    # Before <number>/ so "new" is never taken for a ticket number.
    path("tickets/new/", views.ticket_create, name="create"),
    path("tickets/<str:number>/", views.ticket_detail, name="detail"),
    path("tickets/<str:number>/reply/", views.reply, name="reply"),
    path("tickets/<str:number>/approve/", views.approve, name="approve"),
    path("tickets/<str:number>/reject/", views.reject, name="reject"),
    path("tickets/<str:number>/close/", views.close, name="close"),
    path("tickets/<str:number>/evidence/<int:evidence_id>/", views.evidence_file,
         name="evidence"),
    path("tickets/<str:number>/evidence/<int:evidence_id>/thumbnail/",
         views.evidence_thumbnail, name="evidence_thumbnail"),
    path("review/", views.review_queue, name="review"),
    path("handling-times/", views.handling_times, name="handling_times"),
]
