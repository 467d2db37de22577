"""The Dashboard Timeline as HTML: a ``<style>`` block, the axis, one row per agent.

Every string that comes from data is escaped; colours come from classes, so a bar costs only its
position, size and hover title. Both themes are one set of CSS variables. Status is never told by
colour alone: rows say it in words, and error, running and cancelled bars carry a pattern (the
legend shows them). Narrow containers (phones) get a layout of their own through a container
query: the tile above its bars, the bars the full width, every other axis label left out.
"""

from __future__ import annotations

import html
from collections.abc import Callable

from avatar_core import Timeline, TimelineRow

from .avatars import avatar_html

__all__ = ["render_timeline_html"]

_TILE_W = 300  # px; the axis, overlay and tracks all start after the tile column
_GUTTER = 30  # px right of the track, room for the NOW label

_CSS = f"""
.aa-tl{{--aa-bg:#ffffff;--aa-alt:#f8fafc;--aa-text:#0f172a;--aa-muted:#475569;
--aa-track:rgba(148,163,184,.16);--aa-grid:#cbd5e1;--aa-line:#e2e8f0;--aa-link:#4338ca;
--aa-now:#c2410c;--aa-ok:#16a34a;--aa-err:#dc2626;--aa-run:#2563eb;--aa-cancel:#94a3b8;
--aa-idle:#94a3b8;--aa-sys:#7e22ce;
font-family:inherit;color:var(--aa-text);container-type:inline-size;
background:var(--aa-bg);border:1px solid var(--aa-line);border-radius:12px;overflow:hidden}}
.aa-tl.aa-dark{{--aa-bg:#0f172a;--aa-alt:#131c31;--aa-text:#e2e8f0;--aa-muted:#94a3b8;
--aa-track:rgba(148,163,184,.10);--aa-grid:#334155;--aa-line:#1e293b;--aa-link:#a5b4fc;
--aa-now:#fb923c;--aa-ok:#22c55e;--aa-err:#f87171;--aa-run:#60a5fa;--aa-cancel:#64748b;
--aa-idle:#64748b;--aa-sys:#d8b4fe}}
.aa-axis{{display:flex;align-items:flex-end;height:40px;border-bottom:1px solid var(--aa-line)}}
.aa-legend{{flex:0 0 {_TILE_W}px;box-sizing:border-box;padding:0 14px 8px;display:flex;gap:10px;
font-size:12px;color:var(--aa-muted)}}
.aa-legend span{{display:inline-flex;align-items:center;gap:4px}}
.aa-legend i{{display:inline-block;width:10px;height:10px;border-radius:2px}}
.aa-scale{{position:relative;flex:1;height:100%;margin-right:{_GUTTER}px}}
.aa-tick{{position:absolute;bottom:8px;transform:translateX(-50%);font-size:13px;
color:var(--aa-muted);white-space:nowrap}}
.aa-now-label{{position:absolute;right:0;bottom:8px;transform:translateX(50%);font-size:12px;
font-weight:800;letter-spacing:.08em;color:var(--aa-now)}}
.aa-body{{position:relative}}
.aa-overlay{{position:absolute;top:0;bottom:0;left:{_TILE_W}px;right:{_GUTTER}px;
pointer-events:none;z-index:1}}
.aa-overlay.aa-top{{z-index:5}}
.aa-grid{{position:absolute;top:0;bottom:0;border-left:1px dashed var(--aa-grid)}}
.aa-now{{position:absolute;top:0;bottom:0;right:-1px;border-left:2px solid var(--aa-now)}}
.aa-row{{position:relative;display:flex;align-items:center;min-height:92px;
border-bottom:1px solid var(--aa-line)}}
.aa-row:nth-child(odd){{background:var(--aa-alt)}}
.aa-tile{{flex:0 0 {_TILE_W}px;box-sizing:border-box;display:flex;align-items:center;gap:12px;
padding:8px 14px;min-width:0}}
.aa-avatar{{flex:0 0 72px;width:72px;height:72px;border-radius:50%;box-sizing:border-box;
object-fit:cover;background:#1e293b}}
.aa-initials{{display:flex;align-items:center;justify-content:center;color:#fff;font-size:26px;
font-weight:700;letter-spacing:.02em;user-select:none}}
.aa-meta{{min-width:0;display:flex;flex-direction:column;gap:4px}}
.aa-name{{font-size:16px;font-weight:650;color:var(--aa-text);text-decoration:none;
overflow:hidden;text-overflow:ellipsis;white-space:nowrap}}
.aa-name:hover{{color:var(--aa-link);text-decoration:underline}}
.aa-sys{{font-size:11px;font-weight:700;letter-spacing:.06em;text-transform:uppercase;
color:var(--aa-sys)}}
.aa-sub{{display:flex;align-items:center;gap:6px;font-size:13.5px;color:var(--aa-muted);
white-space:nowrap;overflow:hidden;text-overflow:ellipsis}}
.aa-dot{{flex:0 0 9px;width:9px;height:9px;border-radius:50%}}
.aa-dot-running{{background:var(--aa-run);box-shadow:0 0 0 3px rgba(96,165,250,.3)}}
.aa-dot-idle{{background:var(--aa-idle)}}
.aa-dot-error{{background:var(--aa-err)}}
.aa-track{{position:relative;flex:1;height:30px;margin-right:{_GUTTER}px;border-radius:6px;
background:var(--aa-track)}}
.aa-b{{position:absolute;top:3px;bottom:3px;min-width:2px;border-radius:3px;opacity:.88;
z-index:2}}
.aa-b:hover{{opacity:1;outline:2px solid var(--aa-text);z-index:4}}
.aa-success{{background:var(--aa-ok)}}
.aa-error{{z-index:3;background:var(--aa-err) repeating-linear-gradient(45deg,
rgba(255,255,255,.5) 0 2px,transparent 2px 5px)}}
.aa-cancelled{{background:var(--aa-cancel) repeating-linear-gradient(90deg,
rgba(255,255,255,.55) 0 2px,transparent 2px 5px)}}
.aa-running{{z-index:3;background:var(--aa-run) repeating-linear-gradient(135deg,
rgba(255,255,255,.35) 0 4px,transparent 4px 8px);animation:aa-pulse 1.6s ease-in-out infinite}}
@keyframes aa-pulse{{50%{{opacity:.55}}}}
@media (prefers-reduced-motion:reduce){{.aa-running{{animation:none}}}}
.aa-empty{{padding:28px;text-align:center;color:var(--aa-muted)}}
span.aa-name:hover{{color:var(--aa-text);text-decoration:none}}
@container (max-width:640px){{
.aa-axis{{flex-direction:column;align-items:stretch;height:auto}}
.aa-legend{{flex:none;flex-wrap:wrap;padding:8px 14px 4px;gap:6px 12px}}
.aa-scale{{flex:none;height:30px;margin:0 {_GUTTER}px 0 14px}}
.aa-tick-minor{{display:none}}
.aa-overlay{{display:none}}
.aa-row{{flex-direction:column;align-items:stretch;min-height:0;padding-bottom:10px}}
.aa-tile{{flex:none;width:100%}}
.aa-track{{flex:none;margin:0 {_GUTTER}px 0 14px;border-right:2px solid var(--aa-now);
border-radius:6px 0 0 6px;background-image:var(--aa-ticks)}}
}}
"""

_LEGEND = "".join(
    f'<span><i class="aa-{status}"></i>{status}</span>'
    for status in ("success", "error", "running", "cancelled")
)


def _esc(text: object) -> str:
    return html.escape(str(text), quote=True)


def _row_html(row: TimelineRow, detail_url: Callable[[str], str] | None) -> str:
    agent = row.agent
    system = '<span class="aa-sys">system</span>' if agent.is_system else ""
    bars = "".join(
        f'<div class="aa-b aa-{_esc(bar.status)}" style="left:{bar.left_pct:.2f}%;'
        f'width:{bar.width_pct:.2f}%" title="{_esc(bar.title)}"></div>'
        for bar in row.bars
    )
    face = avatar_html(agent.name, agent.display_name, agent.is_system, agent.avatar_url,
                       size=72, css_class="aa-avatar", lazy=True)
    if detail_url is None:  # the agent's own page: its name is no link
        name = (f'<span class="aa-name" title="{_esc(agent.name)}">'
                f"{_esc(agent.display_name)}</span>")
    else:
        name = (f'<a class="aa-name" href="{_esc(detail_url(agent.name))}" target="_self" '
                f'title="{_esc(agent.name)}">{_esc(agent.display_name)}</a>')
    return (
        f'<div class="aa-row"><div class="aa-tile">{face}<div class="aa-meta">'
        f"{name}{system}"
        f'<span class="aa-sub"><span class="aa-dot aa-dot-{_esc(row.status)}" '
        'aria-hidden="true"></span>'
        f"{_esc(row.status)} · {_esc(row.summary)}</span></div></div>"
        f'<div class="aa-track">{bars}</div></div>'
    )


def _track_grid(ticks: list[tuple[float, str]]) -> str:
    """The grid lines as a background of each track, for the narrow layout (no overlay)."""
    lines = ",".join(
        f"linear-gradient(to right,transparent calc({pct:.2f}% - 1px),var(--aa-grid) "
        f"calc({pct:.2f}% - 1px),var(--aa-grid) {pct:.2f}%,transparent {pct:.2f}%)"
        for pct, _ in ticks if 0 < pct < 100)
    return f"--aa-ticks:{lines or 'none'}"


def render_timeline_html(
    timeline: Timeline, *, dark: bool, detail_url: Callable[[str], str] | None
) -> str:
    """The dashboard body as one HTML fragment, in the light or the dark theme.

    ``detail_url`` links each name to its agent's page; None leaves names as text.
    """
    labelled = [(pct, label) for pct, label in timeline.ticks
                if pct < 94]  # the NOW label owns the right edge
    # Every other label is "minor": the narrow layout leaves those out so none overlap.
    ticks = "".join(
        f'<span class="aa-tick{" aa-tick-minor" if index % 2 else ""}" '
        f'style="left:{pct:.2f}%">{_esc(label)}</span>'
        for index, (pct, label) in enumerate(labelled)
    )
    grid = "".join(f'<div class="aa-grid" style="left:{pct:.2f}%"></div>'
                   for pct, _ in timeline.ticks)
    rows = "".join(_row_html(row, detail_url) for row in timeline.rows)
    if not rows:
        rows = '<div class="aa-empty">No agents match the filters.</div>'
    theme = "aa-dark" if dark else "aa-light"
    return (
        f"<style>{_CSS}</style>"
        f'<div class="aa-tl {theme}" style="{_track_grid(timeline.ticks)}">'
        f'<div class="aa-axis"><div class="aa-legend">{_LEGEND}</div>'
        f'<div class="aa-scale">{ticks}<span class="aa-now-label">NOW</span></div></div>'
        f'<div class="aa-body"><div class="aa-overlay">{grid}</div>{rows}'
        '<div class="aa-overlay aa-top"><div class="aa-now"></div></div></div></div>'
    )
