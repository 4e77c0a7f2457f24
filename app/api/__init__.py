"""HTTP: schemas, error rendering and thin routers."""
