from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "osit.web"
    label = "web"
