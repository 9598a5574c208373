"""Plain renderers of a Recommendation that need no extra dependencies (terminal text, JSON)."""
