from django.urls import path

from . import views

app_name = "preconditions"

urlpatterns = [
    path("", views.precondition_list, name="list"),
    path("<str:code>/", views.precondition_detail, name="detail"),
]
