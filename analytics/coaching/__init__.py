"""Staff-training gap reports and coaching: agents' scores against targets, assignments and their effect."""
