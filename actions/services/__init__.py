"""Everything the actions talk to (database, knowledge files, NPS recording), one module per thing."""
