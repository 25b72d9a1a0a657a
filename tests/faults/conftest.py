"""The fault tests run a real gunicorn on a database of their own, as tests/concurrency does."""
from tests.concurrency.conftest import forum_db  # noqa: F401  (a fixture, shared)
