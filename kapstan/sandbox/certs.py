"""The sandbox's PKI: one CA, the apiserver's serving cert, an admin client cert, SA keys.

Also what the apiserver needs to reach components it calls: kwok's kubelet-like server
(serving cert for 127.0.0.1, and the apiserver's kubelet client cert), and the aggregation
layer (a separate front-proxy CA, as kubeadm does, so no ordinary client certificate can
pass for the proxy, its client cert, and metrics-server's serving cert).
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

VALIDITY = dt.timedelta(days=365)
SERVICE_CLUSTER_IP = "10.96.0.1"
FRONT_PROXY_CLIENT = "front-proxy-client"  # the apiserver's --requestheader-allowed-names


@dataclass(frozen=True)
class PKI:
    """Paths of the files the components are started with."""

    ca_cert: Path
    ca_key: Path
    apiserver_cert: Path
    apiserver_key: Path
    admin_cert: Path
    admin_key: Path
    sa_key: Path
    sa_pub: Path
    kubelet_cert: Path
    kubelet_key: Path
    kubelet_client_cert: Path
    kubelet_client_key: Path
    front_proxy_ca_cert: Path
    front_proxy_ca_key: Path
    front_proxy_client_cert: Path
    front_proxy_client_key: Path
    metrics_server_cert: Path
    metrics_server_key: Path


def _write_key(key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey, path: Path) -> None:
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )
    )
    path.chmod(0o600)


def _name(cn: str, org: str | None = None) -> x509.Name:
    attrs = [x509.NameAttribute(NameOID.COMMON_NAME, cn)]
    if org:
        attrs.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, org))
    return x509.Name(attrs)


def _builder(
    subject: x509.Name, issuer: x509.Name, public_key: ec.EllipticCurvePublicKey
) -> x509.CertificateBuilder:
    now = dt.datetime.now(dt.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + VALIDITY)
    )


def _leaf(
    ca_key: ec.EllipticCurvePrivateKey,
    ca_name: x509.Name,
    subject: x509.Name,
    usage: x509.ObjectIdentifier,
    sans: list[x509.GeneralName] | None = None,
) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    key = ec.generate_private_key(ec.SECP256R1())
    b = _builder(subject, ca_name, key.public_key())
    b = b.add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
    b = b.add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
    if sans:
        b = b.add_extension(x509.SubjectAlternativeName(sans), critical=False)
    return key, b.sign(ca_key, hashes.SHA256())


def paths(directory: Path) -> PKI:
    """Where ``generate`` writes each file of a sandbox's PKI."""
    return PKI(
        ca_cert=directory / "ca.crt",
        ca_key=directory / "ca.key",
        apiserver_cert=directory / "apiserver.crt",
        apiserver_key=directory / "apiserver.key",
        admin_cert=directory / "admin.crt",
        admin_key=directory / "admin.key",
        sa_key=directory / "sa.key",
        sa_pub=directory / "sa.pub",
        kubelet_cert=directory / "kubelet.crt",
        kubelet_key=directory / "kubelet.key",
        kubelet_client_cert=directory / "apiserver-kubelet-client.crt",
        kubelet_client_key=directory / "apiserver-kubelet-client.key",
        front_proxy_ca_cert=directory / "front-proxy-ca.crt",
        front_proxy_ca_key=directory / "front-proxy-ca.key",
        front_proxy_client_cert=directory / "front-proxy-client.crt",
        front_proxy_client_key=directory / "front-proxy-client.key",
        metrics_server_cert=directory / "metrics-server.crt",
        metrics_server_key=directory / "metrics-server.key",
    )


def _ca(cn: str) -> tuple[ec.EllipticCurvePrivateKey, x509.Name, x509.Certificate]:
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = _name(cn)
    ca = (
        _builder(ca_name, ca_name, ca_key.public_key())
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(ca_key, hashes.SHA256())
    )
    return ca_key, ca_name, ca


def _write_pair(
    key: ec.EllipticCurvePrivateKey, cert: x509.Certificate, cert_path: Path, key_path: Path
) -> None:
    _write_key(key, key_path)
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))


def _loopback_sans(*dns: str) -> list[x509.GeneralName]:
    names: list[x509.GeneralName] = [x509.DNSName(n) for n in ("localhost", *dns)]
    return names + [x509.IPAddress(ipaddress.ip_address(a)) for a in ("127.0.0.1", "::1")]


def generate(directory: Path) -> PKI:
    """Write a fresh PKI into ``directory`` (created) and return its paths."""
    directory.mkdir(parents=True, exist_ok=True)
    pki = paths(directory)
    ca_key, ca_name, ca = _ca("kapstan-sandbox-ca")
    _write_key(ca_key, pki.ca_key)
    pki.ca_cert.write_bytes(ca.public_bytes(serialization.Encoding.PEM))

    sans: list[x509.GeneralName] = [
        x509.DNSName(n)
        for n in (
            "localhost",
            "kubernetes",
            "kubernetes.default",
            "kubernetes.default.svc",
            "kubernetes.default.svc.cluster.local",
        )
    ]
    sans += [
        x509.IPAddress(ipaddress.ip_address(a)) for a in ("127.0.0.1", "::1", SERVICE_CLUSTER_IP)
    ]
    key, cert = _leaf(
        ca_key, ca_name, _name("kube-apiserver"), ExtendedKeyUsageOID.SERVER_AUTH, sans
    )
    _write_key(key, pki.apiserver_key)
    pki.apiserver_cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))

    key, cert = _leaf(
        ca_key,
        ca_name,
        _name("kapstan-sandbox-admin", "system:masters"),
        ExtendedKeyUsageOID.CLIENT_AUTH,
    )
    _write_key(key, pki.admin_key)
    pki.admin_cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))

    sa = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    _write_key(sa, pki.sa_key)
    pki.sa_pub.write_bytes(
        sa.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    _generate_peers(pki, ca_key, ca_name)
    return pki


def _generate_peers(pki: PKI, ca_key: ec.EllipticCurvePrivateKey, ca_name: x509.Name) -> None:
    """Certificates for the calls the apiserver makes: to kwok's kubelet server, to metrics-server."""
    key, cert = _leaf(
        ca_key, ca_name, _name("kwok-kubelet"), ExtendedKeyUsageOID.SERVER_AUTH, _loopback_sans()
    )
    _write_pair(key, cert, pki.kubelet_cert, pki.kubelet_key)
    key, cert = _leaf(
        ca_key,
        ca_name,
        _name("kube-apiserver-kubelet-client", "system:masters"),
        ExtendedKeyUsageOID.CLIENT_AUTH,
    )
    _write_pair(key, cert, pki.kubelet_client_cert, pki.kubelet_client_key)
    # The aggregator dials metrics-server through its Service and checks this name; the
    # same pair serves prometheus-adapter (custom metrics), under its Service's name.
    key, cert = _leaf(
        ca_key,
        ca_name,
        _name("metrics-server"),
        ExtendedKeyUsageOID.SERVER_AUTH,
        _loopback_sans("metrics-server.kube-system.svc", "prometheus-adapter.kube-system.svc"),
    )
    _write_pair(key, cert, pki.metrics_server_cert, pki.metrics_server_key)
    fp_key, fp_name, fp_ca = _ca("kapstan-sandbox-front-proxy-ca")
    _write_key(fp_key, pki.front_proxy_ca_key)
    pki.front_proxy_ca_cert.write_bytes(fp_ca.public_bytes(serialization.Encoding.PEM))
    key, cert = _leaf(fp_key, fp_name, _name(FRONT_PROXY_CLIENT), ExtendedKeyUsageOID.CLIENT_AUTH)
    _write_pair(key, cert, pki.front_proxy_client_cert, pki.front_proxy_client_key)
