"""The operator console: server-rendered pages mounted at ``/ui/``, each with a JSON twin.

The console is a client of the service's own JSON API, called in-process (``client.py``): a page
reads exactly what ``curl`` would read, so a page is never out of step with the API and a page
written against an endpoint that another branch adds starts working when that endpoint lands.
"""
