from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "osit.jobs"
    label = "jobs"
