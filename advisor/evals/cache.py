"""The eval harness's response cache: it lives in :mod:`advisor.response_cache` (the batch runner uses it too)."""

from advisor.response_cache import (CACHE_VERSION, DB_NAME, NoCache, ResponseCache, cache_info, cache_key, clear_cache,
                                    default_cache_dir, prune_cache)

__all__ = ["CACHE_VERSION", "DB_NAME", "NoCache", "ResponseCache", "cache_info", "cache_key", "clear_cache",
           "default_cache_dir", "prune_cache"]
