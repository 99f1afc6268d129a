"""Background jobs of the bot touchpoint (APScheduler 3): tracker sync and NPS survey triggers."""
