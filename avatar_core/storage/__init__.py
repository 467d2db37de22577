"""Storage: the database (tables, migrations, engine) and image blobs (local files or S3).

Imports only the foundation.
"""
