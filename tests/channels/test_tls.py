"""HTTPS through the pinned connection: the checked address is dialled, the URL's name is verified.

A throwaway CA signs a certificate for hooks.example.test; the name resolves (in
the test) to the loopback receiver. The request must carry SNI and Host for the
name, and a certificate for another name must fail verification.
"""

import datetime
import socket
import ssl

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from channels import network, senders
from channels.models import Kind
from tests.fixtures.receiver import Receiver

from .builders import incident_notification, make_channel

pytestmark = pytest.mark.django_db

NAME = "hooks.example.test"


def _cert(subject, issuer, public_key, signing_key, *, ca, san=None):
    now = datetime.datetime.now(datetime.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
        .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer)]))
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if ca:
        builder = builder.add_extension(
            x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True, content_commitment=False,
                          key_encipherment=False, data_encipherment=False, key_agreement=False,
                          encipher_only=False, decipher_only=False), critical=True)
        builder = builder.add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
    if san:
        builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName(san)]), critical=False)
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(signing_key.public_key()), critical=False)
    return builder.sign(signing_key, hashes.SHA256())


@pytest.fixture
def tls_receiver(tmp_path, monkeypatch, settings, request):
    """An https receiver with a certificate for `request.param` (default NAME), trusted via a test CA."""
    cert_name = getattr(request, "param", NAME)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = _cert("Test CA", "Test CA", ca_key.public_key(), ca_key, ca=True)
    key = ec.generate_private_key(ec.SECP256R1())
    cert = _cert(cert_name, "Test CA", key.public_key(), ca_key, ca=False, san=cert_name)
    (tmp_path / "ca.pem").write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "key.pem").write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(tmp_path / "cert.pem", tmp_path / "key.pem")
    sni = []
    context.sni_callback = lambda sock, server_name, ctx: sni.append(server_name)
    monkeypatch.setattr(network.certifi, "where", lambda: str(tmp_path / "ca.pem"))

    real_getaddrinfo = socket.getaddrinfo

    def getaddrinfo(host, port, *args, **kwargs):
        return real_getaddrinfo("127.0.0.1" if host == NAME else host, port, *args, **kwargs)

    monkeypatch.setattr(network.socket, "getaddrinfo", getaddrinfo)
    settings.ALLOW_PRIVATE_WEBHOOK_TARGETS = True  # the name resolves to loopback here
    receiver = Receiver(ssl_context=context).start()
    receiver.sni = sni
    try:
        yield receiver
    finally:
        receiver.stop()


def test_https_to_the_pinned_address_verifies_the_name_and_sends_sni_and_host(owner, tls_receiver):
    channel = make_channel(owner, Kind.WEBHOOK, tls_receiver.url("/in", host=NAME))
    result = senders.send(channel, incident_notification(), "k")
    assert result.ok, result.error
    assert tls_receiver.sni == [NAME]
    assert tls_receiver.requests()[0].headers["host"] == f"{NAME}:{tls_receiver.port}"


@pytest.mark.parametrize("tls_receiver", ["someone-else.example.test"], indirect=True)
def test_a_certificate_for_another_name_fails(owner, tls_receiver):
    channel = make_channel(owner, Kind.WEBHOOK, tls_receiver.url("/in", host=NAME))
    result = senders.send(channel, incident_notification(), "k")
    assert not result.ok and "certificate" in result.error.lower()
    assert tls_receiver.requests() == []
