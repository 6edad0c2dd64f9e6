from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from preconditions import views as precondition_views

from .forms import LoginForm, PasswordChangeForm, PasswordResetForm, SetPasswordForm
from .views import PasswordResetView, SteeringSetPasswordView, language_switch

handler400 = "config.views.bad_request"

urlpatterns = [
    path("", precondition_views.home, name="home"),
    path("preconditions/", include("preconditions.urls")),
    path("language/<str:code>/", language_switch, name="language"),
    path("reports/", include("reports.urls")),
    path("actions/", include("actions.urls")),
    path("", include("workshops.urls")),
    path("", include("surveys.urls")),
    path("manage/", include("outbox.urls")),
    # Accounts: Django's auth views with GOV.UK-styled forms.
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(authentication_form=LoginForm),
        name="login",
    ),
    path(
        "accounts/password_reset/",
        PasswordResetView.as_view(form_class=PasswordResetForm),
        name="password_reset",
    ),
    path(
        "accounts/reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(form_class=SetPasswordForm),
        name="password_reset_confirm",
    ),
    path(
        "accounts/set-password/<uidb64>/<token>/",
        SteeringSetPasswordView.as_view(),
        name="steering_set_password",
    ),
    path(
        "accounts/password_change/",
        auth_views.PasswordChangeView.as_view(form_class=PasswordChangeForm),
        name="password_change",
    ),
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
]
