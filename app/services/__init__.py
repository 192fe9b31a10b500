"""Domain rules. Routes call these; only services commit."""
