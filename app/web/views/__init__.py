"""Pure formatting for the console's pages: API JSON in, JSON-ready view models out.

No Starlette, no database: every function here is tested without a server or a browser.
"""
