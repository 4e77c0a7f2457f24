"""API keys and limits on hostile input."""
