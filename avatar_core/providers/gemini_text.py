"""Prompt refinement: a Gemini text model turns "a robot" into one specific portrait description.

Short prompts leave the image model to invent the face anew on every call; a specific
description (appearance, materials, colours, accessories, expression) gives far more consistent
faces across variations and emotions. Decisions:

- **The user's details are kept**, and the model adds no framing, background or lighting: our
  fixed technical block is appended afterwards by the prompt template, so it can never be cut
  off and never contradicted.
- **No thinking** (``thinking_budget=0``): the task is a rewrite, thinking would only add
  latency and cost, and thinking tokens count against ``max_output_tokens``.
- **Room, then a hard cut**: ``max_output_tokens`` leaves ample room so the answer is rarely
  truncated mid-word by the model; the text is then cut at ``REFINED_PROMPT_MAX_CHARS`` on a
  word boundary. The instruction asks for fewer characters than that, because models count
  characters badly and a cut should be the exception.
- **Every failure is a GenerationError** (an empty answer and a safety block included): the
  caller falls back to the user's own prompt.
"""

from __future__ import annotations

import re
import unicodedata

from google.genai import types

from ..foundation.config import DEFAULT_GEMINI_TEXT_MODEL
from ..foundation.errors import FailureReason, GenerationError, InvalidInput
from ..foundation.limits import REFINED_PROMPT_MAX_CHARS
from .gemini_client import require_key, safety_failure, wire_name
from .gemini_endpoint import GeminiEndpoint

__all__ = [
    "DEFAULT_GEMINI_TEXT_MODEL",
    "REFINED_PROMPT_MAX_CHARS",
    "REFINED_PROMPT_TARGET_CHARS",
    "REFINE_MAX_OUTPUT_TOKENS",
    "REFINE_SYSTEM_INSTRUCTION",
    "GeminiPromptRefiner",
    "clean_refined_text",
]

REFINED_PROMPT_TARGET_CHARS = 1000
# ~4 characters a token: 1024 tokens hold about four target-length answers.
REFINE_MAX_OUTPUT_TOKENS = 1024
# A cut further back than this from the limit is worse than cutting inside a word.
_WORD_BOUNDARY_SLACK = 80

REFINE_SYSTEM_INSTRUCTION = (
    "You write descriptions for an avatar image generator. Expand the user's short identity "
    "prompt into ONE specific portrait description of the character: appearance, materials, "
    "colours, accessories and facial expression.\n"
    "- Keep every detail the user gave, exactly; never contradict or drop one.\n"
    "- Describe only the character. Do not mention framing, camera, pose, background, "
    "lighting or image style: those are added afterwards.\n"
    "- Plain text only: no markdown, no lists, no quotes, no preamble, no alternatives.\n"
    f"- At most {REFINED_PROMPT_TARGET_CHARS} characters."
)


class GeminiPromptRefiner(GeminiEndpoint):
    """Refines identity prompts with a Gemini text model (one generateContent call each)."""

    kind = "text"


    def refine_prompt(self, identity_prompt: str) -> str:
        """The refined description (at most REFINED_PROMPT_MAX_CHARS); GenerationError if none."""
        require_key(self._api_key)
        prompt = identity_prompt.strip()
        if not prompt:
            raise InvalidInput("There is no identity prompt to refine")
        config = types.GenerateContentConfig(
            system_instruction=REFINE_SYSTEM_INSTRUCTION,
            thinking_config=types.ThinkingConfig(thinking_budget=0),
            max_output_tokens=REFINE_MAX_OUTPUT_TOKENS,
            automatic_continuation=False,
        )
        contents = [types.Content(role="user", parts=[types.Part.from_text(text=prompt)])]
        response = self.calling(lambda model: self._client().models.generate_content(
            model=model, contents=contents, config=config))
        return _refined_text(response)


def _refined_text(response: types.GenerateContentResponse) -> str:
    """The answer's text, cleaned and cut, or the GenerationError that explains why not."""
    blocked = safety_failure(response, "the refined prompt")
    if blocked is not None:
        raise blocked
    texts: list[str] = []
    for candidate in response.candidates[:1] if response.candidates else []:
        content = candidate.content
        for part in (content.parts if content else None) or []:
            if part.text and not part.thought:
                texts.append(part.text)
    text = clean_refined_text(" ".join(texts))
    if not text:
        finish = wire_name(response.candidates[0].finish_reason) if response.candidates else None
        detail = "The text model answered without a refined prompt"
        if finish and finish != "STOP":
            detail += f" (finish reason {finish})"
        raise GenerationError(FailureReason.UPSTREAM_ERROR, detail)
    return text


def clean_refined_text(text: str) -> str:
    """One line of plain text within REFINED_PROMPT_MAX_CHARS.

    Whitespace runs (newlines included) become one space and other control characters go:
    the text lands inside our prompt template, where the user's own prompt is held to the
    same rule. Wrapping quotes and markdown emphasis that models add despite being told not
    to are dropped.
    """
    text = "".join(" " if ch.isspace() else ch for ch in text)
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Cc")
    text = re.sub(r"\*\*|__", "", text)
    text = re.sub(r" +", " ", text).strip().strip("\"'“”‘’").strip()
    if len(text) <= REFINED_PROMPT_MAX_CHARS:
        return text
    cut = text[:REFINED_PROMPT_MAX_CHARS]
    boundary = cut.rfind(" ")
    if boundary >= REFINED_PROMPT_MAX_CHARS - _WORD_BOUNDARY_SLACK:
        cut = cut[:boundary]
    return cut.rstrip(" ,;:-")
