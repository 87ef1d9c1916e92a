"""WireGuard keys: X25519 key pairs and preshared keys, base64 exactly as `wg` prints them.

Only makeconf imports this module (it loads cryptography, which the router's cron path must
not pay for). Keys never go into a message: problems name the site and field, not the value.
"""

from __future__ import annotations

import base64
import secrets

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)


def _encode(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def _clamp(raw: bytes) -> bytes:
    """Curve25519 clamping, as `wg genkey` stores it (the result is the same key either way)."""
    key = bytearray(raw)
    key[0] &= 248
    key[31] = (key[31] & 127) | 64
    return bytes(key)


def generate_private_key() -> str:
    raw = X25519PrivateKey.generate().private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    return _encode(_clamp(raw))


def public_key(private_key: str) -> str:
    """`wg pubkey`: the public key of a base64 private key."""
    raw = base64.b64decode(private_key, validate=True)
    public = X25519PrivateKey.from_private_bytes(raw).public_key()
    return _encode(public.public_bytes(Encoding.Raw, PublicFormat.Raw))


def generate_preshared_key() -> str:
    """`wg genpsk`: 32 random bytes."""
    return _encode(secrets.token_bytes(32))
