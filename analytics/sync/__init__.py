"""Copy the bot's conversations from Rasa's SQL tracker store into our conversations/turns tables."""
