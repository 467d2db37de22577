"""An avatar as HTML: the ``<img>`` (or the initials disc) in its ring — the one helper for it.

Avatars are ``<img>`` tags on the ``/api`` URLs so the browser caches them and the server's
format (AVIF or WebP by ``Accept``) is shown as is (``st.image`` would re-encode it to JPEG);
each asks for the size it is shown at, with twice that in ``srcset`` for 2x screens. Every
image has an alt text naming the agent (and the emotion or version it shows).
``face_stack_html`` crossfades from the face shown before: both images are stacked and the old
one fades out over about a second (CSS only, so it works inside ``st.html``), or disappears at
once for viewers who ask for reduced motion.
"""

from __future__ import annotations

from html import escape

from avatar_core import initials, initials_color, ring_color, urls

__all__ = ["CROSSFADE_S", "avatar_html", "face_stack_html"]

CROSSFADE_S = 1.0  # how long the old face takes to fade out


def avatar_html(name: str, display_name: str, is_system: bool, url: str | None, *,
                size: int = 72, css_class: str = "aa-face", alt: str | None = None,
                caption: str | None = None, lazy: bool = False) -> str:
    """The face of an agent at ``size`` px: its image, or its initials when it has none."""
    border = max(3, size // 40)
    label = escape(alt if alt is not None else display_name)
    box = (f"width:{size}px;height:{size}px;border-radius:50%;"
           f"border:{border}px solid {ring_color(is_system)};box-sizing:border-box")
    if size >= 128:
        box += ";box-shadow:0 2px 12px rgba(15,23,42,.25)"
    loading = ' loading="lazy"' if lazy else ""
    if url:
        face = (f'<img class="{css_class}" src="{escape(urls.sized(url, size))}" '
                f'srcset="{escape(urls.srcset(url, size))}" width="{size}" height="{size}" '
                f'alt="{label}"{loading} '
                f'style="{box};object-fit:cover;background:#1e293b;display:block">')
    else:
        face = (f'<div class="{css_class} aa-initials" role="img" aria-label="{label}" '
                f'style="{box};background:{initials_color(name)};color:#fff;display:flex;'
                f"align-items:center;justify-content:center;font:700 {size * 0.36:.0f}px "
                f'system-ui,sans-serif;flex:0 0 {size}px">{escape(initials(display_name))}</div>')
    if not caption:
        return face
    text = (f'<div class="aa-face-caption" style="margin-top:8px;font-size:14px;'
            f'text-align:center;width:{size}px">{escape(caption)}</div>')
    return f'<div style="display:inline-block">{face}{text}</div>'


_CROSSFADE_CSS = f"""<style>
.aa-stack{{position:relative;display:inline-block}}
.aa-face-old{{position:absolute;top:0;left:0;pointer-events:none;
animation:aa-fade-out {CROSSFADE_S}s ease-in-out forwards}}
@keyframes aa-fade-out{{from{{opacity:1;visibility:visible}}to{{opacity:0;visibility:hidden}}}}
@media (prefers-reduced-motion:reduce){{.aa-face-old{{display:none!important;animation:none}}}}
</style>"""


def face_stack_html(name: str, display_name: str, is_system: bool, url: str | None,
                    previous_url: str | None, *, size: int, alt: str, caption: str) -> str:
    """The large face of Agent Detail; when ``previous_url`` differs, it fades out on top."""
    face = avatar_html(name, display_name, is_system, url, size=size, alt=alt)
    old = ""
    if previous_url and url and previous_url != url:
        # Decorative while it fades (empty alt, hidden from assistive tech): the new face
        # underneath already says what is shown.
        old = avatar_html(name, display_name, is_system, previous_url, size=size,
                          css_class="aa-face-old", alt="").replace(
                              "<img ", '<img aria-hidden="true" ', 1)
    text = (f'<div class="aa-face-caption" style="margin-top:8px;font-size:14px;'
            f'text-align:center;width:{size}px">{escape(caption)}</div>')
    return (f'{_CROSSFADE_CSS}<div style="display:inline-block"><div class="aa-stack">{face}{old}'
            f"</div>{text}</div>")
