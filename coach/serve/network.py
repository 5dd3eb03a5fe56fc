"""Where a phone can reach this computer, and the address's unguessable part.

`phone_addresses` lists this computer's IPv4 addresses that a phone on the same network
could use, best first: on an interface that is up, not the loopback or a link-local one,
and on the interface of the default route, if there is one, before any virtual one
(containers, virtual machines, VPN tunnels). Nothing is sent on the network to find them.

`link_token` is the path segment every address of `coach serve` starts with: 80 bits from
a key kept beside the settings file and the folder's path, so a folder keeps its address
across restarts (a podcast app stays subscribed) and each folder has its own.
"""

from __future__ import annotations

import base64
import contextlib
import hmac
import ipaddress
import os
import secrets
import socket
import sys
from dataclasses import dataclass
from pathlib import Path

from coach.errors import CoachError

KEY_BYTES = 32

_VIRTUAL = (
    "docker", "br-", "veth", "virbr", "lxc", "lxd", "vmnet", "vboxnet", "tun", "tap", "wg",
    "tailscale", "zt", "utun", "ham", "cni", "flannel", "podman", "kube", "awdl", "llw",
)  # fmt: skip
"""Name prefixes of interfaces a phone on the Wi-Fi is unlikely to reach: containers,
virtual machines' bridges, VPN tunnels, Apple's peer-to-peer links."""


@dataclass(frozen=True)
class Address:
    """An IPv4 address of this computer and the interface it is on."""

    ip: str
    interface: str

    def describe(self) -> str:
        return f"{self.ip} ({self.interface})"


def phone_addresses() -> list[Address]:
    """This computer's addresses a phone on the same network could open, best first."""
    import psutil

    stats = psutil.net_if_stats()
    found = [
        Address(address.address, interface)
        for interface, addresses in psutil.net_if_addrs().items()
        if interface not in stats or stats[interface].isup
        for address in addresses
        if address.family == socket.AF_INET and reachable(address.address)
    ]
    return rank(found, default_route_interface())


def reachable(ip: str) -> bool:
    """Whether another device could reach `ip`: not a loopback, link-local, unspecified
    or multicast address."""
    parsed = ipaddress.ip_address(ip)
    return not (
        parsed.is_loopback or parsed.is_link_local or parsed.is_unspecified or parsed.is_multicast
    )


def rank(addresses: list[Address], default_interface: str | None) -> list[Address]:
    """`addresses` best first: the default route's interface, then other real interfaces,
    then virtual ones; private addresses (a home or hotspot network) before public ones."""

    def key(address: Address) -> tuple[bool, bool, bool, str]:
        virtual = address.interface.lower().startswith(_VIRTUAL)
        private = ipaddress.ip_address(address.ip).is_private
        return (address.interface != default_interface, virtual, not private, address.ip)

    return sorted(addresses, key=key)


def default_route_interface() -> str | None:
    """The interface of the IPv4 default route, from the kernel's routing table (Linux);
    None elsewhere, or without one."""
    if not sys.platform.startswith("linux"):
        return None
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in Path("/proc/net/route").read_text().splitlines()[1:]:
            fields = line.split()
            if fields[1] == "00000000" and int(fields[3], 16) & 0x2:  # RTF_GATEWAY
                return fields[0]
    return None


def link_token(key: bytes, folder: Path) -> str:
    """The path segment of `folder`'s address: 16 letters and digits (80 bits), the same
    for the same key and folder, and not to be guessed without the key."""
    name = os.fsencode(folder)
    digest = hmac.new(key, name, "sha256").digest()
    return base64.b32encode(digest[:10]).decode("ascii").lower()


def load_key(path: Path, *, renew: bool = False) -> tuple[bytes, str | None]:
    """The key of the addresses, from `path`, made there first when missing (or when
    `renew`); and a note to show when it could not be kept, in which case the key is
    made for this run only and the address changes next time."""
    from coach.files import replace_file

    if not renew:
        with contextlib.suppress(OSError, ValueError):
            text = path.read_text(encoding="ascii").strip()
            key = bytes.fromhex(text)
            if len(key) == KEY_BYTES:
                return key, None
    key = secrets.token_bytes(KEY_BYTES)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        replace_file(path, key.hex().encode("ascii") + b"\n", private=True)
    except (OSError, CoachError) as error:
        reason = error.strerror if isinstance(error, OSError) else str(error)
        return key, (
            f"The address will be different next time: its key could not be kept in {path} "
            f"({(reason or 'an error').rstrip('.').lower()})."
        )
    return key, None
