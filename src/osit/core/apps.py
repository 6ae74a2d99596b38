from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "osit.core"
    label = "core"

    def ready(self) -> None:
        from django.db.backends.signals import connection_created

        from osit.core import pgloaders

        connection_created.connect(pgloaders.install, dispatch_uid="osit.core.pgloaders")
