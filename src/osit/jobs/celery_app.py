"""Celery application for scale-out: same job functions, periodic schedule from the registry."""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "osit.settings")


def make_app() -> Celery:
    import django
    from django.conf import settings

    django.setup()
    if not settings.OSIT_BROKER_URL:
        raise RuntimeError("OSIT_BROKER_URL is not set")
    from osit.jobs.registry import JOBS

    app = Celery("osit", broker=settings.OSIT_BROKER_URL)
    app.conf.update(
        task_ignore_result=True,
        worker_hijack_root_logger=False,
        broker_connection_retry_on_startup=True,
        timezone=settings.TIME_ZONE,
        beat_schedule={
            name: {"task": f"osit.jobs.{name}", "schedule": float(job.interval())}
            for name, job in JOBS.items()
        },
    )
    for name, job in JOBS.items():
        app.task(name=f"osit.jobs.{name}")(_task_for(job))
    return app


def _task_for(job):
    def task() -> object:
        return job.run()

    task.__name__ = job.name
    return task
