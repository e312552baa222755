from django.apps import AppConfig


class JbpConfig(AppConfig):
    name = "jbp"
