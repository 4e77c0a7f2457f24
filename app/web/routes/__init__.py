"""The console's routes, one module per page; each route reads the API and renders a view model."""
