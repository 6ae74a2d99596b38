"""The Django project that serves django-helpdesk for the peer benchmark (bench/peer/run)."""
