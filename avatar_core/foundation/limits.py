"""Every size limit of the product, named once.

The API's request models, the service's checks, the storage columns and the page widgets all
read these, so a limit can only change in one place and every surface agrees on it.
"""

from __future__ import annotations

__all__ = [
    "ACTIVITY_MAX_AGE_DAYS",
    "ACTIVITY_MAX_AHEAD_S",
    "API_KEY_MAX_CHARS",
    "DESCRIPTION_MAX_CHARS",
    "DISPLAY_NAME_MAX_CHARS",
    "ENUM_TEXT_MAX_CHARS",
    "ERROR_QUOTE_CHARS",
    "FORM_OVERHEAD_BYTES",
    "IMPORT_MAX_ROWS",
    "INLINE_IMAGE_MAX_BYTES",
    "JSON_BODY_MAX_BYTES",
    "MAX_PIXELS",
    "MAX_UPLOAD_BYTES",
    "MESSAGE_MAX_CHARS",
    "NAME_MAX_CHARS",
    "PROMPT_MAX_CHARS",
    "REFERENCE_MAX_SIDE",
    "REFINED_PROMPT_MAX_CHARS",
    "SUMMARY_MAX_CHARS",
    "TOKEN_NAME_MAX_CHARS",
    "WAIT_MAX_S",
]

NAME_MAX_CHARS = 63
"""An agent's slug: ``^[a-z0-9][a-z0-9_-]{0,62}$``."""

DISPLAY_NAME_MAX_CHARS = 200
DESCRIPTION_MAX_CHARS = 2000

PROMPT_MAX_CHARS = 500
"""Identity prompts (and an agent's seed avatar prompt), after stripping."""

REFINED_PROMPT_MAX_CHARS = 1500
"""A refined prompt may be longer than the user's (that is the point of refining it)."""

SUMMARY_MAX_CHARS = 500
"""An activity's summary line on the timeline."""

ENUM_TEXT_MAX_CHARS = 40
"""Free text that must name one of a fixed set (agent type, activity kind and status)."""

TOKEN_NAME_MAX_CHARS = 100
API_KEY_MAX_CHARS = 200

MESSAGE_MAX_CHARS = 500
"""A stored failure message (job items, emotion variants)."""

ERROR_QUOTE_CHARS = 40
"""How much of a user's input an error message may quote back."""

IMPORT_MAX_ROWS = 5000
"""Agents in one import file."""

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
"""Uploaded images; refused before any decoding."""

MAX_PIXELS = 40_000_000
"""Decoded-pixel cap for uploads: 40 MP is a large phone photo; beyond that is abuse."""

REFERENCE_MAX_SIDE = 2048
"""An uploaded picture is kept (as the reference, and sent to the provider) at most this many
pixels on its longest side; Gemini itself works at no more than about that."""

INLINE_IMAGE_MAX_BYTES = 14 * 1024 * 1024
"""An image sent inline to Gemini: a request with inline data may total at most 20 MB
(ai.google.dev, "Image understanding": larger requests need the Files API), and base64 makes
bytes 4/3 as long, so 14 MB leaves room for the prompt."""

FORM_OVERHEAD_BYTES = 64 * 1024
"""Multipart boundaries, part headers and text fields on top of an uploaded file."""

JSON_BODY_MAX_BYTES = 1024 * 1024
"""JSON request bodies."""

ACTIVITY_MAX_AGE_DAYS = 3650
"""Activity timestamps older than this (about ten years) are refused: nobody means them."""

ACTIVITY_MAX_AHEAD_S = 24 * 3600
"""Activity timestamps later than this ahead of now are refused (a day covers clock skew)."""

WAIT_MAX_S = 60.0
"""How long ``generate-defaults?wait=true`` holds a request before answering 202 and the job."""
