"""Address classification: every spelling of an IP literal, every forbidden class."""

from __future__ import annotations

from ipaddress import IPv4Address, IPv6Address, ip_address, ip_network

import pytest

from bot.config import load_settings
from bot.ingest.addresses import (
    InvalidHost,
    canonical,
    embedded_ipv4,
    forbidden_reason,
    is_forbidden,
    parse_ip_literal,
)

LOOPBACK = IPv4Address("127.0.0.1")


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("127.0.0.1", "127.0.0.1"),
        ("2130706433", "127.0.0.1"),  # one decimal number
        ("0177.0.0.1", "127.0.0.1"),  # octal part
        ("0177.0000.0000.0001", "127.0.0.1"),
        ("017700000001", "127.0.0.1"),  # one octal number
        ("0x7f.0.0.1", "127.0.0.1"),  # hex part
        ("0X7F.0x0.0x0.0x1", "127.0.0.1"),
        ("0x7f000001", "127.0.0.1"),  # one hex number
        ("0x7f.1", "127.0.0.1"),
        ("127.1", "127.0.0.1"),  # short forms: the last part fills the remaining bytes
        ("127.0.1", "127.0.0.1"),
        ("10.1", "10.0.0.1"),
        ("192.168.257", "192.168.1.1"),
        ("169.254.43518", "169.254.169.254"),
        ("127.0.0.1.", "127.0.0.1"),  # one trailing dot
        ("0", "0.0.0.0"),
        ("0x", "0.0.0.0"),
        ("8.8.8.8", "8.8.8.8"),
        ("::1", "::1"),
        ("[::1]", "::1"),
        ("[0:0:0:0:0:0:0:1]", "::1"),
        ("::ffff:127.0.0.1", "::ffff:7f00:1"),
        ("[::ffff:7f00:1]", "::ffff:7f00:1"),
        ("64:ff9b::7f00:1", "64:ff9b::7f00:1"),
        ("2002:7f00:1::", "2002:7f00:1::"),
        ("[FE80::1]", "fe80::1"),
    ],
)
def test_ip_literal_spellings(host: str, expected: str) -> None:
    assert parse_ip_literal(host) == ip_address(expected)


@pytest.mark.parametrize("host", ["fe80::1%eth0", "[fe80::1%25eth0]", "fe80::1%25eth0"])
def test_zone_ids_are_parsed_and_always_refused(host: str) -> None:
    ip = parse_ip_literal(host)
    assert isinstance(ip, IPv6Address)
    assert ip.scope_id == "eth0"
    assert forbidden_reason(ip) == "scoped"
    assert forbidden_reason(ip, [ip_network("fe80::/10")]) == "scoped"


@pytest.mark.parametrize(
    "host",
    ["example.com", "news.example.co.uk", "1.example", "0x7g.com", "localhost", "xn--bcher-kva.de"],
)
def test_domain_names_are_not_literals(host: str) -> None:
    assert parse_ip_literal(host) is None


@pytest.mark.parametrize(
    "host",
    [
        "256.0.0.1",  # part too big
        "1.2.3.4.5",  # too many parts
        "08.1",  # not octal, yet ends in a number
        "0x1g.1",
        "4294967296",  # 2**32
        "1.16777216",  # last part too big for three bytes
        "example.123",  # browsers refuse names ending in a number
        "[zz::1]",
        "::1%",
        "",
    ],
)
def test_numeric_looking_hosts_that_are_not_addresses_are_invalid(host: str) -> None:
    with pytest.raises(InvalidHost):
        parse_ip_literal(host)


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("127.0.0.1", "loopback"),
        ("127.255.255.254", "loopback"),
        ("::1", "loopback"),
        ("10.0.0.1", "private"),
        ("172.16.0.1", "private"),
        ("172.31.255.255", "private"),
        ("192.168.1.1", "private"),
        ("fc00::1", "private"),
        ("fd12:3456:789a::1", "private"),
        ("169.254.169.254", "link-local"),
        ("fe80::1", "link-local"),
        ("100.64.0.1", "shared (CGNAT)"),
        ("100.127.255.254", "shared (CGNAT)"),
        ("224.0.0.1", "multicast"),
        ("239.255.255.250", "multicast"),
        ("ff02::1", "multicast"),
        ("240.0.0.1", "reserved"),
        ("192.0.0.8", "reserved"),
        ("100::1", "reserved"),
        ("0.0.0.0", "unspecified"),
        ("::", "unspecified"),
        ("255.255.255.255", "broadcast"),
        ("0.1.2.3", "this network"),
        ("198.18.0.1", "benchmarking"),
        ("198.19.255.255", "benchmarking"),
        ("2001:2::1", "benchmarking"),
        ("192.0.2.10", "documentation"),
        ("198.51.100.7", "documentation"),
        ("203.0.113.99", "documentation"),
        ("2001:db8::1", "documentation"),
        ("3fff::1", "documentation"),
        ("fec0::1", "site-local"),
        ("64:ff9b:1::1", "reserved"),  # local-use NAT64
    ],
)
def test_forbidden_classes(address: str, reason: str) -> None:
    assert forbidden_reason(ip_address(address)) == reason


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("::ffff:127.0.0.1", "loopback"),  # IPv4-mapped
        ("::ffff:7f00:1", "loopback"),
        ("::ffff:10.1.2.3", "private"),
        ("::ffff:169.254.169.254", "link-local"),
        ("::127.0.0.1", "loopback"),  # IPv4-compatible (deprecated)
        ("::a9fe:a9fe", "link-local"),
        ("::ffff:0:7f00:1", "loopback"),  # IPv4-translated (SIIT)
        ("64:ff9b::127.0.0.1", "loopback"),  # NAT64
        ("64:ff9b::a9fe:a9fe", "link-local"),
        ("64:ff9b::c0a8:101", "private"),
        ("2002:7f00:1::", "loopback"),  # 6to4
        ("2002:a9fe:a9fe::1", "link-local"),
        ("2002:a00:1::", "private"),
        ("2001:0:4136:e378:8000:63bf:80ff:fffe", "loopback"),  # Teredo, client 127.0.0.1
    ],
)
def test_embedded_ipv4_is_judged(address: str, reason: str) -> None:
    assert forbidden_reason(ip_address(address)) == reason


def test_teredo_with_public_client_is_still_refused() -> None:
    teredo = ip_address("2001:0:4136:e378:8000:63bf:f7f7:f7f7")  # client 8.8.8.8
    assert isinstance(teredo, IPv6Address)
    assert embedded_ipv4(teredo) == IPv4Address("8.8.8.8")
    assert forbidden_reason(teredo) == "reserved"


@pytest.mark.parametrize(
    "address",
    [
        "8.8.8.8",
        "1.1.1.1",
        "93.184.216.34",
        "151.101.1.69",
        "172.15.255.255",  # just outside 172.16/12
        "172.32.0.1",
        "100.63.255.255",  # just outside 100.64/10
        "100.128.0.1",
        "198.17.255.255",
        "198.20.0.1",
        "2606:4700:4700::1111",
        "2a00:1450:4001:80b::200e",
        "::ffff:8.8.8.8",
        "64:ff9b::808:808",  # NAT64 of a public address
        "2002:808:808::1",  # 6to4 of a public address
    ],
)
def test_public_addresses_are_allowed(address: str) -> None:
    assert forbidden_reason(ip_address(address)) is None
    assert not is_forbidden(ip_address(address))


def test_every_spelling_of_loopback_is_forbidden() -> None:
    spellings = [
        "127.0.0.1",
        "2130706433",
        "0177.0.0.1",
        "0x7f.0.0.1",
        "0x7f000001",
        "127.1",
        "0x7f.1",
        "127.0.0.1.",
        "::ffff:127.0.0.1",
        "::ffff:7f00:1",
        "64:ff9b::7f00:1",
        "2002:7f00:1::",
    ]
    for host in spellings:
        ip = parse_ip_literal(host)
        assert ip is not None, host
        assert forbidden_reason(ip) == "loopback", host


def test_canonical_turns_mapped_addresses_into_ipv4() -> None:
    assert canonical(ip_address("::ffff:127.0.0.1")) == LOOPBACK
    assert canonical(ip_address("64:ff9b::7f00:1")) == ip_address("64:ff9b::7f00:1")
    assert canonical(LOOPBACK) == LOOPBACK


def test_allow_list_admits_exactly_its_networks() -> None:
    allowed = [ip_network("127.0.0.1/32")]
    assert forbidden_reason(LOOPBACK, allowed) is None
    assert forbidden_reason(ip_address("::ffff:127.0.0.1"), allowed) is None  # same address
    assert forbidden_reason(ip_address("127.0.0.2"), allowed) == "loopback"
    assert forbidden_reason(ip_address("::1"), allowed) == "loopback"
    # An embedding of an allowed address is a different address: it stays refused.
    assert forbidden_reason(ip_address("64:ff9b::7f00:1"), allowed) == "loopback"


def test_allow_list_is_empty_by_default_and_read_from_settings() -> None:
    default = load_settings(_env_file=None)
    assert default.allowed_networks == ()
    assert is_forbidden(LOOPBACK, default.allowed_networks)

    configured = load_settings(_env_file=None, fetch_allow_networks="10.0.0.0/8, 127.0.0.1/32")
    assert not is_forbidden(ip_address("10.20.30.40"), configured.allowed_networks)
    assert not is_forbidden(LOOPBACK, configured.allowed_networks)
    assert is_forbidden(ip_address("192.168.0.1"), configured.allowed_networks)


def test_make_settings_allows_loopback_only(make_settings) -> None:
    settings = make_settings()
    assert not is_forbidden(LOOPBACK, settings.allowed_networks)
    assert is_forbidden(ip_address("169.254.169.254"), settings.allowed_networks)
