"""End-to-end tests: real uvicorn processes serving real databases."""
