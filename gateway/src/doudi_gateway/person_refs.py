"""A person's reference for links from lists that show only masked ID numbers:
the ID number sealed with AES-SIV (deterministic authenticated encryption), so
the same person has the same ``p.…`` reference, nobody can read the number out
of it or forge one, and a list never carries the number itself. Every route
that takes ``{id_number}`` also takes a reference (``resources.base.
path_id_number``). The key is derived from the token-signing key: when that
key is rotated, old links stop working (they lead to 404), nothing else."""

from __future__ import annotations

import base64
import binascii

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESSIV
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

PREFIX = "p."
_AAD = [b"doudi person_ref v1"]


class PersonRefs:
    def __init__(self, secret: str):
        key = HKDF(algorithm=hashes.SHA256(), length=64, salt=None,
                   info=b"doudi person_ref").derive(secret.encode("utf-8"))
        self._siv = AESSIV(key)

    def seal(self, id_number: str) -> str:
        sealed = self._siv.encrypt(id_number.encode("ascii"), _AAD)
        return PREFIX + base64.urlsafe_b64encode(sealed).rstrip(b"=").decode("ascii")

    def open(self, ref: str) -> str | None:
        """The ID number of a reference, or None for anything that is not one."""
        if not ref.startswith(PREFIX) or len(ref) > 120:
            return None
        body = ref[len(PREFIX):]
        try:
            raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
            return self._siv.decrypt(raw, _AAD).decode("ascii")
        except (InvalidTag, ValueError, binascii.Error, UnicodeDecodeError):
            return None
