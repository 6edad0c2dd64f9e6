from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The Northbridge demo (``manage.py seed_demo``): not product code. It imports the
    product apps (surveys, reports, preconditions); none of them imports it."""

    name = "demo"
    verbose_name = "Demo data"
