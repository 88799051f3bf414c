from django.urls import path

from . import views

app_name = "scorecard"

urlpatterns = [
    path("", views.index, name="index"),
    path("<int:shop_id>/", views.shop, name="shop"),
    path("<int:shop_id>/chart/<slug:name>.svg", views.chart, name="chart"),
]
