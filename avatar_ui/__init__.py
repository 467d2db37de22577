"""Streamlit glue for the pages: the cached service, the frame, the admin lock, actions, and the
HTML of the Dashboard Timeline and of avatars.

It decides nothing about the product — ``avatar_core`` does — it caches what the service returns,
draws it and reports errors the same way on every page. Imports ``avatar_core``, never the API.
"""
