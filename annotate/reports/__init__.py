"""Read-only views for leads and engineers: the store overview, round reports, model versions."""
