"""Secrets at rest: the Gemini key saved in Settings is stored AES-256-GCM encrypted.

The database alone never reveals the key: a dump or a backup holds only ciphertext. The
encryption key comes from ``AVATARS_SECRET_KEY`` (any string; several replicas share it), or,
without that setting, from a key file created on first start in the data directory, readable by
its owner only. A value sealed under another secret cannot be opened — ``SecretUnreadable``
says what to do — and nothing here ever crashes the caller with a cryptography traceback.
"""

from __future__ import annotations

import base64
import hashlib
import os
import secrets
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from ..foundation.errors import AvatarError

__all__ = ["KEY_FILE", "SecretBox", "SecretUnreadable", "is_sealed"]

KEY_FILE = "secret.key"
_PREFIX = "v1:"
_NONCE_BYTES = 12


class SecretUnreadable(AvatarError):
    """A saved secret cannot be decrypted with the configured key."""

    status = 409


def is_sealed(value: str) -> bool:
    return value.startswith(_PREFIX)


class SecretBox:
    """Seals and opens short secrets with one AES-256-GCM key."""

    def __init__(self, secret_key: str | None, data_dir: Path) -> None:
        self._key = _derive(secret_key) if secret_key else _key_file(data_dir)

    def __repr__(self) -> str:
        return "SecretBox(<key hidden>)"

    def seal(self, plaintext: str, purpose: str) -> str:
        """``plaintext`` encrypted; ``purpose`` binds it to its use (it is authenticated)."""
        nonce = secrets.token_bytes(_NONCE_BYTES)
        sealed = AESGCM(self._key).encrypt(nonce, plaintext.encode(), purpose.encode())
        return _PREFIX + base64.urlsafe_b64encode(nonce + sealed).decode()

    def open(self, value: str, purpose: str) -> str:
        try:
            raw = base64.urlsafe_b64decode(value.removeprefix(_PREFIX).encode())
            nonce, sealed = raw[:_NONCE_BYTES], raw[_NONCE_BYTES:]
            return AESGCM(self._key).decrypt(nonce, sealed, purpose.encode()).decode()
        except (InvalidTag, ValueError, TypeError):
            raise SecretUnreadable(
                "The saved key can't be read on this replica: set AVATARS_SECRET_KEY as when "
                "it was saved (the same on every replica), or save the key again") from None


def _derive(secret_key: str) -> bytes:
    """32 key bytes from any passphrase-like setting (a fixed, domain-separated hash)."""
    return hashlib.sha256(b"agent-avatars/secret-box/v1\x00" + secret_key.encode()).digest()


def _key_file(data_dir: Path) -> bytes:
    """The data directory's key, created once with owner-only permissions."""
    path = Path(data_dir) / KEY_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return base64.urlsafe_b64decode(path.read_bytes().strip())
    with os.fdopen(fd, "wb") as handle:
        handle.write(base64.urlsafe_b64encode(secrets.token_bytes(32)))
        handle.flush()
        os.fsync(handle.fileno())
    return base64.urlsafe_b64decode(path.read_bytes().strip())
