"""``autoopt review``: the predicted impact of every change to policies, configs and
``autoopt.yaml`` between two refs, as one Markdown comment, a check run and a verdict.

``review(root, base, head, …)`` computes a :class:`Review` (plain data); ``render`` turns it
into Markdown, JSON or text; ``publish`` posts it on a pull request (a sticky comment and the
``autoopt/review`` check run with annotations on the changed lines).
"""

from autoopt.review.model import (
    ConfigReview,
    ConstraintRisk,
    DecisionBrief,
    FieldChange,
    Impact,
    Outcome,
    PolicyReview,
    Review,
    SettingsReview,
    Verdict,
)
from autoopt.review.workflow import review

__all__ = [
    "ConfigReview",
    "ConstraintRisk",
    "DecisionBrief",
    "FieldChange",
    "Impact",
    "Outcome",
    "PolicyReview",
    "Review",
    "SettingsReview",
    "Verdict",
    "review",
]
