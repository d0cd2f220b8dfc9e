"""Which IP addresses the bot may fetch from, and how to read an IP written in any spelling.

A link can name an internal machine in many disguises: `2130706433`, `0x7f.1`, `0177.0.0.1`,
`[::ffff:7f00:1]`, a NAT64 or 6to4 address wrapping 127.0.0.1... The operating system's
resolver accepts most of these (inet_aton rules), so we must parse them the same way *before*
anything else sees the host, then judge the real address. Everything that is not a public
unicast address is refused unless an operator explicitly allow-lists it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network

IPAddress = IPv4Address | IPv6Address
Network = IPv4Network | IPv6Network


class InvalidHost(ValueError):
    """The host looks like a number but is not a valid address (e.g. `1.2.3.4.5`, `08.1`).

    Browsers reject such hosts (WHATWG "ends in a number"); so do we, rather than hand a
    half-numeric name to a resolver that might interpret it in its own way.
    """


_DECIMAL = re.compile(r"(?:0|[1-9][0-9]*)\Z")
_OCTAL = re.compile(r"0[0-7]+\Z")
_HEX = re.compile(r"0[xX][0-9a-fA-F]*\Z")
_DIGITS = re.compile(r"[0-9]+\Z")

_V4 = IPv4Network
_V6 = IPv6Network

# Checked in order: the first match names the reason (more specific ranges first).
_FORBIDDEN_V4: tuple[tuple[IPv4Network, str], ...] = (
    (_V4("0.0.0.0/32"), "unspecified"),
    (_V4("255.255.255.255/32"), "broadcast"),
    (_V4("0.0.0.0/8"), "this network"),
    (_V4("10.0.0.0/8"), "private"),
    (_V4("100.64.0.0/10"), "shared (CGNAT)"),
    (_V4("127.0.0.0/8"), "loopback"),
    (_V4("169.254.0.0/16"), "link-local"),
    (_V4("172.16.0.0/12"), "private"),
    (_V4("192.0.0.0/24"), "reserved"),
    (_V4("192.0.2.0/24"), "documentation"),
    (_V4("192.88.99.0/24"), "reserved"),
    (_V4("192.168.0.0/16"), "private"),
    (_V4("198.18.0.0/15"), "benchmarking"),
    (_V4("198.51.100.0/24"), "documentation"),
    (_V4("203.0.113.0/24"), "documentation"),
    (_V4("224.0.0.0/4"), "multicast"),
    (_V4("240.0.0.0/4"), "reserved"),
)

_FORBIDDEN_V6: tuple[tuple[IPv6Network, str], ...] = (
    (_V6("::/128"), "unspecified"),
    (_V6("::1/128"), "loopback"),
    (_V6("64:ff9b:1::/48"), "reserved"),  # local-use NAT64 (RFC 8215)
    (_V6("100::/64"), "reserved"),  # discard-only
    (_V6("2001:2::/48"), "benchmarking"),
    (_V6("2001::/23"), "reserved"),  # IETF protocol assignments, incl. Teredo tunnels
    (_V6("2001:db8::/32"), "documentation"),
    (_V6("3fff::/20"), "documentation"),
    (_V6("5f00::/16"), "reserved"),  # SRv6 SIDs
    (_V6("fc00::/7"), "private"),
    (_V6("fe80::/10"), "link-local"),
    (_V6("fec0::/10"), "site-local"),
    (_V6("ff00::/8"), "multicast"),
)

_NAT64 = _V6("64:ff9b::/96")
_SIIT = _V6("::ffff:0:0:0/96")  # IPv4-translated (RFC 2765)
_COMPATIBLE = _V6("::/96")  # deprecated IPv4-compatible addresses


def _ipv4_number(label: str) -> int | None:
    """One dotted part under inet_aton rules: decimal, 0-prefixed octal or 0x hex."""
    if _HEX.match(label):
        return int(label[2:] or "0", 16)
    if _OCTAL.match(label):
        return int(label[1:], 8)
    if _DECIMAL.match(label):
        return int(label)
    return None


def _ends_in_number(labels: list[str]) -> bool:
    last = labels[-1]
    return bool(_DIGITS.match(last) or _HEX.match(last))


def parse_ipv4(host: str) -> IPv4Address | None:
    """Parse an IPv4 host the way browsers and inet_aton do (1 to 4 parts, any base).

    Returns None when the host is a domain name; raises InvalidHost when it ends in a number
    but is not a valid address.
    """
    labels = host.split(".")
    if len(labels) > 1 and labels[-1] == "":
        labels.pop()  # one trailing dot is allowed: "127.0.0.1."
    if not labels or not _ends_in_number(labels):
        return None
    numbers = [_ipv4_number(label) for label in labels]
    if len(labels) > 4 or any(n is None for n in numbers):
        raise InvalidHost(host)
    values = [n for n in numbers if n is not None]
    *head, last = values
    if any(part > 255 for part in head) or last >= 256 ** (5 - len(values)):
        raise InvalidHost(host)
    value = last
    for index, part in enumerate(head):
        value += part << (8 * (3 - index))
    return IPv4Address(value)


def parse_ipv6(host: str) -> IPv6Address | None:
    """Parse `::1`, `[::1]` or a zoned `fe80::1%eth0` / `fe80::1%25eth0` (URL-encoded zone)."""
    text = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    if ":" not in text:
        return None
    address, percent, zone = text.partition("%")
    if percent and zone.startswith("25") and len(zone) > 2:
        zone = zone[2:]
    try:
        return IPv6Address(f"{address}%{zone}" if percent else address)
    except ValueError:
        raise InvalidHost(host) from None


def parse_ip_literal(host: str) -> IPAddress | None:
    """The address a host names when it is an IP literal in any spelling, else None."""
    host = host.strip().lower()
    if not host:
        raise InvalidHost(host)
    return parse_ipv6(host) or parse_ipv4(host)


def canonical(ip: IPAddress) -> IPAddress:
    """IPv4-mapped IPv6 (`::ffff:a.b.c.d`) is an IPv4 address: connect to and judge it as one."""
    if isinstance(ip, IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    return ip


def embedded_ipv4(ip: IPv6Address) -> IPv4Address | None:
    """The IPv4 address carried inside a translation or tunnelling IPv6 address, if any."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]
    low32 = IPv4Address(int(ip) & 0xFFFFFFFF)
    if ip in _NAT64 or ip in _SIIT:
        return low32
    if ip in _COMPATIBLE and int(ip) > 1:
        return low32
    return None


def _own_reason(ip: IPAddress) -> str | None:
    table: Iterable[tuple[Network, str]]
    table = _FORBIDDEN_V4 if isinstance(ip, IPv4Address) else _FORBIDDEN_V6
    for network, reason in table:
        if ip in network:
            return reason
    # Anything Python does not consider globally reachable (future IANA assignments included).
    return None if ip.is_global else "reserved"


def forbidden_reason(ip: IPAddress, allowed: Iterable[Network] = ()) -> str | None:
    """Why the bot must not connect to `ip` ("loopback", "private"...), or None if it may.

    An address inside one of `allowed` (Settings.allowed_networks) is always permitted. IPv6
    addresses that embed an IPv4 address (NAT64, 6to4, Teredo, IPv4-compatible) are refused
    when the embedded address is. Zoned IPv6 addresses (`fe80::1%eth0`) are refused even when
    allow-listed: a zone only makes sense for link-local targets and cannot go in a Host header.
    """
    ip = canonical(ip)
    if isinstance(ip, IPv6Address) and ip.scope_id:
        return "scoped"
    if any(ip.version == net.version and ip in net for net in allowed):
        return None
    if isinstance(ip, IPv6Address):
        inner = embedded_ipv4(ip)
        if inner is not None:
            inner_reason = _own_reason(inner)
            if inner_reason is not None:
                return inner_reason
    return _own_reason(ip)


def is_forbidden(ip: IPAddress, allowed: Iterable[Network] = ()) -> bool:
    return forbidden_reason(ip, allowed) is not None
