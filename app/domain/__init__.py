"""The pure domain core: rule tables, state machines and the timeline fold.

Nothing in this package imports FastAPI or SQLAlchemy.
"""
