"""Generation: the one path from a provider's answer to an agent's current version.

provider → (reference PNG, display WebP) → blobs written → one transaction adds the version and
makes it current. Interactive generation, variations and bulk defaults all go through
``produce`` and ``commit``; they differ only in the request they build. A picture installed as
the avatar itself takes the same path from ``commit`` on, with the upload in the provider's place.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from ..domain.defaults import DefaultTarget
from ..domain.versions import AvatarVersions, NewVersion
from ..foundation import imaging
from ..foundation.errors import GenerationError, NotFound
from ..foundation.imaging import Effort
from ..foundation.keys import digest, seed_for
from ..foundation.models import PICTURE, Agent, AvatarVersion
from ..foundation.pricing import REFINE_PRICE_USD, CallKind, Price, image_price
from ..foundation.prompts import identity_prompt_text, validate_prompt, variation_prompt
from ..providers.base import GeneratedImage, ImageProvider, ImageRequest
from ..storage.images import ImageFiles
from ..storage.leases import Lease, LeaseLost
from .budget import Budget, BudgetSpent
from .locks import AgentLocks
from .providers import Providers
from .retry import INTERACTIVE, RetryPolicy, Stopped, call_with_retry
from .serving import ImageServing

__all__ = ["Generation", "Produced", "Runner"]

Runner = Callable[[Callable[[], GeneratedImage]], GeneratedImage]
"""Runs one provider call (e.g. holding a limiter slot); the default runs it directly."""


@dataclass(frozen=True)
class Produced:
    """A provider's answer, checked: the full-quality reference and the display WebP."""

    reference: bytes
    display: bytes


class Generation:
    """Builds requests, calls providers under a retry policy and records what they drew."""

    def __init__(self, providers: Providers, files: ImageFiles, versions: AvatarVersions,
                 locks: AgentLocks, budget: Budget, serving: ImageServing) -> None:
        self.providers = providers
        self.serving = serving
        self.budget = budget
        self.files = files
        self.versions = versions
        self.locks = locks

    def generate(self, agent: Agent, identity_prompt: str, reference: bytes | None = None, *,
                 policy: RetryPolicy = INTERACTIVE) -> AvatarVersion:
        """A new avatar from a prompt and an optional uploaded reference image."""
        prompt = validate_prompt(identity_prompt)
        style = imaging.validate_upload(reference) if reference is not None else None
        provider = self.providers.active()
        refined, refine_error = self._refine(prompt, image_cost=self.price(provider))
        request = ImageRequest(
            kind="identity", agent_name=agent.name, identity_prompt=prompt,
            prompt=identity_prompt_text(refined or prompt), reference=style, style_image=style,
            seed=seed_for(agent.name, prompt, digest(style) if style is not None else ""))
        with self.locks.hold(agent.id):
            produced = self.produce(provider, request, policy)
            version = self.commit(agent.id, (provider.name, provider.model), request, produced,
                                  style, refined_prompt=refined)
        return replace(version, refine_error=refine_error)

    def _refine(self, prompt: str, *, image_cost: float) -> tuple[str | None, str | None]:
        """(the refined prompt, or why refining failed); (None, None) when not refining.

        A refinement is only paid for when the image call after it fits the budget too: a
        text call whose image is then refused would cost money for nothing.
        """
        refiner = self.providers.refiner()
        if refiner is None:
            return None, None
        self.budget.check(REFINE_PRICE_USD + image_cost)
        try:
            with self.budget.spending(CallKind.REFINE, "gemini", refiner.model, REFINE_PRICE_USD):
                return refiner.refine_prompt(prompt), None
        except BudgetSpent:
            raise  # the image call would be refused too: say so now, not after the text call
        except GenerationError as exc:
            return None, f"{exc.reason.value}: {exc.detail} — the prompt was used as written"

    def install_picture(self, agent: Agent, data: bytes, *,
                        is_default: bool = False) -> AvatarVersion:
        """An uploaded picture as the avatar itself: checked, kept whole, shown as WebP."""
        reference = imaging.validate_upload(data)
        prompt = f"Picture uploaded for {agent.display_name}"
        request = ImageRequest(kind="identity", agent_name=agent.name, identity_prompt=prompt,
                               prompt=prompt, seed=seed_for(agent.name, digest(reference)))
        produced = Produced(reference, imaging.to_display_webp(reference))
        with self.locks.hold(agent.id):
            return self.commit(agent.id, PICTURE, request, produced, None, is_default=is_default)

    def vary(self, agent: Agent, *, policy: RetryPolicy = INTERACTIVE) -> AvatarVersion:
        """A fresh variation of the current avatar, from its reference image."""
        with self.locks.hold(agent.id):
            current = self.versions.current_of(agent.id)
            if current is None:
                raise NotFound("This agent has no avatar to vary; generate one first")
            provider = self.providers.active()
            style = self.files.read(current.style_blob) if current.style_blob else None
            request = ImageRequest(
                kind="variation", agent_name=agent.name,
                identity_prompt=current.identity_prompt,
                prompt=variation_prompt(current.image_prompt),
                reference=self.files.read(current.reference_blob), style_image=style,
                seed=secrets.randbits(62))
            produced = self.produce(provider, request, policy)
            return self.commit(agent.id, (provider.name, provider.model), request, produced, style,
                               refined_prompt=current.refined_prompt)

    def default_request(self, agent: Agent, target: DefaultTarget) -> ImageRequest:
        return ImageRequest(kind="identity", agent_name=agent.name,
                            identity_prompt=target.prompt,
                            prompt=identity_prompt_text(target.prompt),
                            seed=seed_for(agent.name, target.prompt))

    def price_of(self, provider: ImageProvider, *, batch: bool = False) -> Price:
        """What one image from ``provider`` costs at list price (or the configured price)."""
        return image_price(provider.name, provider.model,
                           self.providers.settings.price_per_image_usd, batch=batch)

    def price(self, provider: ImageProvider) -> float:
        return self.price_of(provider).usd

    def produce(self, provider: ImageProvider, request: ImageRequest, policy: RetryPolicy,
                run: Runner | None = None, kind: CallKind = CallKind.AVATAR,
                stopping: threading.Event | None = None) -> Produced:
        """Call the provider under a retry policy; the checked reference and display image.

        Background work (a ``run`` given: it holds a limiter slot) encodes the display WebP with
        libwebp's slowest, smallest method; a person waiting gets the faster one.
        """
        image = self.call(provider, request, policy, run, kind, stopping)
        return self.checked(image, background=run is not None)

    def call(self, provider: ImageProvider, request: ImageRequest, policy: RetryPolicy,
             run: Runner | None = None, kind: CallKind = CallKind.AVATAR,
             stopping: threading.Event | None = None) -> GeneratedImage:
        """One paid provider answer, under the retry policy (``run`` holds a limiter slot)."""
        cost = self.price(provider)
        started = time.monotonic()

        def paid() -> GeneratedImage:
            left = policy.total_s - (time.monotonic() - started)  # no call outlives the deadline
            with self.budget.spending(kind, provider.name, provider.model, cost):
                return provider.generate(replace(request, deadline_s=max(1.0, left)))

        def attempt() -> GeneratedImage:
            if stopping is not None and stopping.is_set():
                raise Stopped()  # shutting down: no new attempt, the item stays pending
            return paid() if run is None else run(paid)

        return call_with_retry(attempt, policy)

    @staticmethod
    def checked(image: GeneratedImage, *, background: bool) -> Produced:
        """A provider's image decoded for real: the reference, and the display WebP."""
        reference, display = imaging.provider_outputs(
            image.data, effort=Effort.BACKGROUND if background else Effort.INTERACTIVE)
        return Produced(reference, display)

    def commit(self, agent_id: int, made_by: tuple[str, str], request: ImageRequest,
               produced: Produced, style: bytes | None, *, is_default: bool = False,
               fingerprint: str | None = None, refined_prompt: str | None = None,
               lease: Lease | None = None) -> AvatarVersion:
        """Write the blobs, then in one transaction add the version and make it current.

        ``made_by`` is the (provider, model) that drew it, recorded on the version. With a
        ``lease`` (background work) nothing is committed unless it is still ours: a lapsed
        owner's image stays a blob (``LeaseLost``), the new owner's is the one kept.
        """
        files = self.files
        with files.lock:
            names: dict[str, Any] = {
                "reference_blob": files.put(produced.reference, "png"),
                "display_blob": files.put(produced.display, "webp"),
                "style_blob": files.put(style, "png") if style is not None else None,
            }
            try:
                version_id = self.versions.add_current(agent_id, NewVersion(
                    identity_prompt=request.identity_prompt, provider=made_by[0],
                    model=made_by[1], seed=request.seed, is_default=is_default,
                    default_fingerprint=fingerprint, refined_prompt=refined_prompt, **names),
                    lease)
            except LeaseLost:
                raise
            except BaseException:
                # e.g. the agent was deleted while we generated: leave no orphan blobs behind
                files.delete_unreferenced(n for n in names.values() if n)
                raise
        self.serving.plan(names["reference_blob"], produced.reference, polish=False)
        return self.versions.get(agent_id, version_id)
