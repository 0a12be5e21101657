"""policyc: a declarative rules language for NHS performance-assessment frameworks."""

__version__ = "0.1.0"
