from django.urls import path

from . import views

app_name = "outbox"

urlpatterns = [
    path("d/<slug:slug>/email/send/", views.send, name="send"),
    path("d/<slug:slug>/email/remind/", views.remind, name="remind"),
    path("d/<slug:slug>/email/schedule/", views.schedule, name="schedule"),
    path("d/<slug:slug>/steering/invite/", views.steering_invite, name="steering_invite"),
    path("d/<slug:slug>/email/batches/<str:public_id>/", views.batch, name="batch"),
    path(
        "d/<slug:slug>/email/batches/<str:public_id>/status.json",
        views.batch_status,
        name="batch_status",
    ),
]
