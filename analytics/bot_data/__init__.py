"""The bot's knowledge as data: loading bot/knowledge/*.yml, seeding the product registry, touchpoint rules.

Shared by the action server (``actions/``) and the analytics side (tracker sync, CLI); imports no spaCy.
"""
