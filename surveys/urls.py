from django.urls import include, path

from .views import facilitator, importing, partner

app_name = "surveys"

manage_patterns = [
    # Facilitators: places, systems, organisations.
    path("", facilitator.dashboard, name="dashboard"),
    path("places/new/", facilitator.place_create, name="place_create"),
    path("places/<slug:slug>/", facilitator.place_detail, name="place_detail"),
    path("places/<slug:slug>/edit/", facilitator.place_edit, name="place_edit"),
    path("places/<slug:slug>/systems/new/", facilitator.system_create, name="system_create"),
    path("places/<slug:slug>/systems/bulk/", facilitator.system_bulk, name="system_bulk"),
    path(
        "places/<slug:slug>/systems/<slug:system_slug>/edit/",
        facilitator.system_edit,
        name="system_edit",
    ),
    path(
        "places/<slug:slug>/organisations/new/",
        facilitator.organisation_create,
        name="organisation_create",
    ),
    path(
        "places/<slug:slug>/organisations/bulk/",
        facilitator.organisation_bulk,
        name="organisation_bulk",
    ),
    path(
        "places/<slug:slug>/organisations/<int:organisation_id>/edit/",
        facilitator.organisation_edit,
        name="organisation_edit",
    ),
    path(
        "places/<slug:slug>/diagnostics/new/",
        facilitator.diagnostic_create,
        name="diagnostic_create",
    ),
    # Facilitators: one diagnostic (round).
    path("d/<slug:slug>/", facilitator.diagnostic_detail, name="diagnostic_detail"),
    path("d/<slug:slug>/edit/", facilitator.diagnostic_edit, name="diagnostic_edit"),
    path("d/<slug:slug>/open/", facilitator.diagnostic_open, name="diagnostic_open"),
    path("d/<slug:slug>/close/", facilitator.diagnostic_close, name="diagnostic_close"),
    path("d/<slug:slug>/access/", facilitator.diagnostic_access, name="diagnostic_access"),
    path("d/<slug:slug>/audit/", facilitator.diagnostic_audit, name="diagnostic_audit"),
    path("d/<slug:slug>/erase/", facilitator.diagnostic_erase, name="diagnostic_erase"),
    path(
        "d/<slug:slug>/invitations/",
        facilitator.invitation_list,
        name="invitation_list",
    ),
    path(
        "d/<slug:slug>/invitations/new/",
        facilitator.invitation_create_view,
        name="invitation_create",
    ),
    path(
        "d/<slug:slug>/invitations/bulk/",
        facilitator.invitation_bulk,
        name="invitation_bulk",
    ),
    path(
        "d/<slug:slug>/invitations/links.csv",
        facilitator.invitation_links_csv,
        name="invitation_links_csv",
    ),
    path(
        "d/<slug:slug>/invitations/links/",
        facilitator.invitation_links_sheet,
        name="invitation_links_sheet",
    ),
    path(
        "d/<slug:slug>/invitations/<str:public_id>/",
        facilitator.invitation_detail,
        name="invitation_detail",
    ),
    path(
        "d/<slug:slug>/invitations/<str:public_id>/answers/",
        facilitator.invitation_answers,
        name="invitation_answers",
    ),
    path(
        "d/<slug:slug>/invitations/<str:public_id>/renew/",
        facilitator.invitation_renew,
        name="invitation_renew",
    ),
    path(
        "d/<slug:slug>/invitations/<str:public_id>/revoke/",
        facilitator.invitation_revoke_view,
        name="invitation_revoke",
    ),
    # Facilitators: importing responses collected offline.
    path("d/<slug:slug>/import/", importing.import_upload, name="import_upload"),
    path(
        "d/<slug:slug>/import/<str:public_id>/",
        importing.import_preview,
        name="import_preview",
    ),
]

# One partner's pages, under the public id of the invitation their browser holds.
partner_patterns = [
    path("", partner.landing, name="partner_landing"),
    path("withdraw/", partner.withdraw, name="partner_withdraw"),
    path("<slug:system_slug>/review/", partner.review, name="partner_review"),
    path("<slug:system_slug>/<str:code>/", partner.step, name="partner_step"),
    path("<slug:system_slug>/<str:code>/autosave/", partner.autosave, name="partner_autosave"),
]

urlpatterns = [
    # Partners first: their saves are most of the traffic (one every few seconds while
    # someone types), and are resolved in a few steps. The link's token is exchanged for
    # a session, then the URL carries no token.
    path("i/<str:token>/", partner.invitation_start, name="invitation_start"),
    path("respond/<str:public_id>/", include(partner_patterns)),
    path("manage/", include(manage_patterns)),
]
