from django.urls import path

from . import views

app_name = "exports"

urlpatterns = [
    path("", views.export_list, name="list"),
    path("scorecard/", views.scorecard_export, name="scorecard"),
    path("<int:pk>/row/", views.job_row, name="row"),
    path("<int:pk>/download/", views.download, name="download"),
]
