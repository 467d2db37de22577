"""Secrets at rest: the Gemini key saved in Settings is stored AES-256-GCM encrypted.

The database alone never reveals the key: a dump or a backup holds only ciphertext. The
encryption key comes from ``AVATARS_SECRET_KEY`` (any string; several replicas share it), or,
without that setting, from a key file created on first start in the data directory, readable by
its owner only: a key file found readable by group or others is made owner-only again (and
the log says so), and an empty one (a start that died while creating it) gets a new key. A
value sealed under another secret cannot be opened — ``SecretUnreadable`` says what to do —
and nothing here ever crashes the caller with a cryptography traceback.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import os
import secrets
import stat
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from ..foundation.errors import AvatarError

__all__ = ["KEY_FILE", "SecretBox", "SecretUnreadable", "is_sealed"]

log = logging.getLogger("avatar_core.secrets")

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
        return _existing_key(path)
    with os.fdopen(fd, "wb") as handle:
        _write_key(handle.fileno())
    return _existing_key(path)


def _existing_key(path: Path) -> bytes:
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        os.chmod(path, 0o600)
        log.warning("The key file %s was readable by others (mode %o): made owner-only (600). "
                    "Consider saving the Gemini key again", path, mode)
    text = path.read_bytes().strip()
    if not text:
        log.warning("The key file %s was empty: a new key was written to it", path)
        fd = os.open(path, os.O_WRONLY | os.O_TRUNC)
        _write_key(fd)
        os.close(fd)
        text = path.read_bytes().strip()
    try:
        key = base64.urlsafe_b64decode(text)
    except ValueError:
        key = b""
    if len(key) != 32:
        raise SecretUnreadable(f"The key file {path} does not hold a key: remove it (a saved "
                               "Gemini key must then be saved again) or set AVATARS_SECRET_KEY")
    return key


def _write_key(fd: int) -> None:
    os.write(fd, base64.urlsafe_b64encode(secrets.token_bytes(32)))
    os.fsync(fd)
