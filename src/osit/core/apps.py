from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "osit.core"
    label = "core"
