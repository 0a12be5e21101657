"""The version of policyc, in a module of its own so that every stage can name it without loading another."""

__version__ = "0.1.0"
