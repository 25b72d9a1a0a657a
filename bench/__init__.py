"""`make bench`: a realistic dataset generated in bulk, and a load run against gunicorn as production serves it."""
