"""advisor: should you fine-tune a language model? An expert system that answers, explains and launches.

The public, headless API (no Textual import anywhere under ``advisor``):

- :func:`advisor.knowledge.load_rulebase` reads and validates a rule base (``rules/``).
- :class:`advisor.engine.Engine` reasons over answers and returns a :class:`~advisor.engine.Recommendation`.
- :class:`advisor.session.InterviewSession` is the immutable interview state the UI drives.
"""

__version__ = "0.1.0"
__all__ = ["__version__"]
