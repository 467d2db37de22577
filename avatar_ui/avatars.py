"""An avatar as HTML: the ``<img>`` (or the initials disc) in its ring — the one helper for it.

Avatars are ``<img>`` tags on the ``/api`` URLs so the browser caches them and WebP is served as
is (``st.image`` would re-encode it to JPEG).
"""

from __future__ import annotations

from html import escape

from avatar_core.domain.tiles import initials, initials_color, ring_color

__all__ = ["avatar_html"]


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
        face = (f'<img class="{css_class}" src="{escape(url)}" width="{size}" height="{size}" '
                f'alt="{label}"{loading} '
                f'style="{box};object-fit:cover;background:#1e293b;display:block">')
    else:
        face = (f'<div class="{css_class} aa-initials" role="img" aria-label="{label}" '
                f'style="{box};background:{initials_color(name)};color:#fff;display:flex;'
                f"align-items:center;justify-content:center;font:700 {size * 0.36:.0f}px "
                f'system-ui,sans-serif;flex:0 0 {size}px">{escape(initials(display_name))}</div>')
    if not caption:
        return face
    text = (f'<div class="aa-face-caption" style="margin-top:8px;font-size:14px;opacity:.8;'
            f'text-align:center;width:{size}px">{escape(caption)}</div>')
    return f'<div style="display:inline-block">{face}{text}</div>'
