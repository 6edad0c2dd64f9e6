from django.apps import AppConfig


class SurveysConfig(AppConfig):
    name = "surveys"
    verbose_name = "Surveys"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from config.middleware import staff_session_start

        user_logged_in.connect(staff_session_start, dispatch_uid="staff_session_start")
