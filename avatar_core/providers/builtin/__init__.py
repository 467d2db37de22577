"""The offline provider: deterministic robot portraits drawn with Pillow, no key, no network.

Why it exists: a fresh install (or a demo without a Gemini key) still gives every agent a
distinct, polished face with all eight emotions. Why it is built this way:

* The *base* look (head, antenna, ears, eyes, mouth, palette) comes from sha256 of the agent
  name, so an agent keeps its face across restarts and machines; ``request.seed`` only varies
  details (pose, antenna lean, head trim, chest badge), and emotions reuse the base seed, so an
  emotion is the same robot with a different expression.
* Same request → byte-identical PNG: only ``random.Random`` seeded from ints, no ``hash()``, no
  timestamps, no threads.
* Colours come from the uploaded style image when there is one, else from colour words in the
  identity prompt ("matte black with glowing teal circuit traces"), else from the name.

Modules, in drawing order: ``design`` decides everything (``palette`` picks the colours);
``body`` paints backdrop, shoulders and neck; ``head`` the head's parts; ``face`` (with
``eyes`` and ``mouth``) the lit expression; ``eyewear`` what sits over the eyes;
``renderer`` composes them. ``canvas`` is the shared drawing kit.
"""

from .design import Robot, design
from .renderer import BuiltinProvider, render_robot

__all__ = ["BuiltinProvider", "Robot", "design", "render_robot"]
