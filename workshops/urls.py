from django.urls import path

from . import views

app_name = "workshops"

urlpatterns = [
    # Phones: the short join address (the QR code's), and the pages of the workshop this
    # browser joined.
    path("w/", views.join, name="join"),
    path("w/<str:code>/", views.join, name="join_code"),
    path("workshop/<str:public_id>/", views.answer, name="answer"),
    path("workshop/<str:public_id>/state.json", views.state, name="state"),
    # Facilitators.
    path("manage/d/<slug:slug>/workshops/", views.workshop_list, name="list"),
    path("manage/workshops/<str:public_id>/", views.control, name="control"),
    path("manage/workshops/<str:public_id>/projector/", views.projector, name="projector"),
    path("manage/workshops/<str:public_id>/room.json", views.room, name="room"),
    path("manage/workshops/<str:public_id>/move/", views.move, name="move"),
    path("manage/workshops/<str:public_id>/results/", views.results, name="results"),
    path(
        "manage/workshops/<str:public_id>/comments/<int:comment_id>/",
        views.comment,
        name="comment",
    ),
    path("manage/workshops/<str:public_id>/end/", views.end, name="end"),
]
