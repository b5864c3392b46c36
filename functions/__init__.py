"""Lambda handlers, one per recording mode; thin dispatchers over ``shared`` (they arrive with the HTTP functions)."""
