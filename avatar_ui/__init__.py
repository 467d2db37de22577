"""Streamlit glue for the pages: the cached service, the frame, the admin lock, actions, the
live Dashboard Timeline's data and HTML, Agent Detail's face, strip and cycle, upload checks,
and ``text.plain`` — the one escape for data shown as Markdown.

It decides nothing about the product — ``avatar_core`` does — it caches what the service returns,
draws it and reports errors the same way on every page. Imports ``avatar_core``, never the API.
"""
