# The pages' fixtures: an empty cache and a fixed minute for every test, cache spies on demand.
from tests.ui.caching import empty_cache, fragments, same_minute, shared_cache  # noqa: F401
