"""OSIT's database backends: Django's own, with what issue 5's measurements changed."""
