"""The company support page with the rasa-webchat widget (``python -m bot.web.server``).

The page says "<brand> Support", the brand and products read from bot/knowledge/products.yml (default Acme).
"""
