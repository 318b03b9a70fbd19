"""The emulator's RSA signing key: id_tokens (RS256), JWKS and x509 certificates."""

from __future__ import annotations

import base64
import datetime as dt
import json
import secrets
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _int_b64(value: int) -> str:
    return _b64(value.to_bytes((value.bit_length() + 7) // 8, "big"))


class SigningKey:
    """One RSA key with a key id, able to sign JWTs and publish itself."""

    def __init__(self, pem: str | None = None, kid: str | None = None) -> None:
        if pem:
            key = serialization.load_pem_private_key(pem.encode(), password=None)
            assert isinstance(key, rsa.RSAPrivateKey)
            self.key = key
        else:
            self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.kid = kid or secrets.token_hex(20)
        self._cert_pem: str | None = None

    def private_pem(self) -> str:
        """The private key in PKCS#8 PEM (for the state file)."""
        return self.key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode()

    def sign_jwt(self, claims: dict[str, Any]) -> str:
        """A compact RS256 JWT of these claims."""
        header = {"alg": "RS256", "kid": self.kid, "typ": "JWT"}
        signing_input = (
            _b64(json.dumps(header, separators=(",", ":")).encode())
            + "."
            + _b64(json.dumps(claims, separators=(",", ":")).encode())
        )
        signature = self.key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
        return signing_input + "." + _b64(signature)

    def jwks(self) -> dict[str, Any]:
        """The public key as a JWK Set (Google's /oauth2/v3/certs)."""
        numbers = self.key.public_key().public_numbers()
        return {
            "keys": [
                {
                    "kty": "RSA",
                    "alg": "RS256",
                    "use": "sig",
                    "kid": self.kid,
                    "n": _int_b64(numbers.n),
                    "e": _int_b64(numbers.e),
                }
            ]
        }

    def x509_certs(self) -> dict[str, str]:
        """The public key as {kid: PEM certificate} (Google's /oauth2/v1/certs)."""
        if self._cert_pem is None:
            name = x509.Name(
                [
                    x509.NameAttribute(
                        NameOID.COMMON_NAME, "federated-signon.system.gserviceaccount.com"
                    )
                ]
            )
            now = dt.datetime.now(dt.UTC)
            cert = (
                x509.CertificateBuilder()
                .subject_name(name)
                .issuer_name(name)
                .public_key(self.key.public_key())
                .serial_number(x509.random_serial_number())
                .not_valid_before(now - dt.timedelta(days=1))
                .not_valid_after(now + dt.timedelta(days=365))
                .sign(self.key, hashes.SHA256())
            )
            self._cert_pem = cert.public_bytes(serialization.Encoding.PEM).decode()
        return {self.kid: self._cert_pem}
