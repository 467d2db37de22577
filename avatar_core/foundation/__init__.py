"""Foundation: errors, limits, configuration, keys, models, prompts and imaging.

Imports nothing else of the product: every other layer stands on it.
"""
