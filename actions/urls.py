from django.urls import path

from . import views

app_name = "actions"

urlpatterns = [
    # One round's action plan: facilitators of the place and steering members of the round.
    # "Plan an action" links add ?system=<slug>&precondition=<code>[&finding=<kind>] to
    # actions:create (see actions.links.plan_action_url).
    path("<slug:slug>/", views.plan, name="plan"),
    path("<slug:slug>/print/", views.plan_print, name="print"),
    path("<slug:slug>/action-plan.csv", views.plan_csv, name="csv"),
    path("<slug:slug>/settings/", views.plan_settings, name="settings"),
    path("<slug:slug>/new/", views.action_create, name="create"),
    path("<slug:slug>/a/<str:public_id>/", views.action_detail, name="detail"),
    path("<slug:slug>/a/<str:public_id>/edit/", views.action_edit, name="edit"),
    path("<slug:slug>/a/<str:public_id>/accept/", views.action_accept, name="accept"),
    path("<slug:slug>/a/<str:public_id>/status/", views.action_status, name="status"),
    # Partners: the published summary, reached from their invitation's session.
    path("summary/<str:public_id>/", views.partner_summary, name="partner_summary"),
]
