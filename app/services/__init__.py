"""Use cases: what the API asks of the domain and the store. Services never commit."""
