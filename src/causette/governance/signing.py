"""The key that signs packages for authorities (Ed25519).

The private key is made on first use and kept in the data directory (`export-signing.key`, owner
only). The operator gives the public key (`causette legal pubkey`) to the authorities once; each
package's `manifest.sig` then proves that the manifest — and through its hashes every file — was
written by this installation and not changed since.
"""

from __future__ import annotations

import base64
import hashlib
import os
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

KEY_FILE = "export-signing.key"


def load_signing_key(data_dir: str | Path) -> Ed25519PrivateKey:
    """The installation's signing key, created (mode 0600) when there is none."""
    path = Path(data_dir) / KEY_FILE
    if path.exists():
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise ValueError(f"{path} is not an Ed25519 private key")
        return key
    path.parent.mkdir(parents=True, exist_ok=True)
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it meanwhile
        return load_signing_key(data_dir)
    with os.fdopen(fd, "wb") as fh:
        fh.write(pem)
        fh.flush()
        os.fsync(fd)
    return key


def public_pem(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def fingerprint(key: Ed25519PrivateKey) -> str:
    """SHA-256 of the raw public key, in hex: what an authority compares."""
    raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()


def sign(key: Ed25519PrivateKey, data: bytes) -> bytes:
    """A base64 Ed25519 signature of `data`, with a final newline."""
    return base64.b64encode(key.sign(data)) + b"\n"


def verify(public_key_pem: bytes, data: bytes, signature_b64: bytes) -> bool:
    key = serialization.load_pem_public_key(public_key_pem)
    if not isinstance(key, Ed25519PublicKey):
        return False
    try:
        key.verify(base64.b64decode(signature_b64.strip()), data)
    except (InvalidSignature, ValueError):
        return False
    return True
