"""autoopt — policy-as-code for LLM application configurations."""

__version__ = "0.1.0"
