from django.urls import path

from . import views

app_name = "webhooks"

urlpatterns = [
    path("", views.endpoint_list, name="list"),
    path("<int:pk>/", views.endpoint_detail, name="detail"),
    path("<int:pk>/test/", views.send_test_event, name="test"),
    path("<int:pk>/enable/", views.enable, name="enable"),
    path("<int:pk>/delete/", views.delete, name="delete"),
    path("<int:pk>/deliveries/<int:delivery_id>/redeliver/", views.redeliver,
         name="redeliver"),
]
