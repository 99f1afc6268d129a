"""Rasa input channels of our own, loaded by Rasa from ``bot/credentials.yml`` by module path."""
