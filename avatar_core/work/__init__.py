"""Work: generation (provider → blobs → row), emotion variants and bulk defaults.

The only layer that calls providers. Background items are claimed with leases so that any
process may run any item; imports only the layers below.
"""
