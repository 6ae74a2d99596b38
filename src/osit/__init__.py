"""OSIT — Outil de Suivi des Incidents Techniques: an IT service desk."""

__version__ = "0.1.0"
