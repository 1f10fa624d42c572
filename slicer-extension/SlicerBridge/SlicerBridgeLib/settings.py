"""Validation of the connection settings typed by the user."""

import ipaddress
import re
from dataclasses import dataclass

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 18944
DEFAULT_TIMEOUT_S = 30.0
MIN_TIMEOUT_S = 0.5
MAX_TIMEOUT_S = 3600.0

_HOST_LABEL = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$")
_MODEL_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


class SettingsError(ValueError):
    """A connection setting is invalid; the message names the setting and the accepted values."""


@dataclass(frozen=True)
class ConnectionSettings:
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    timeout_s: float = DEFAULT_TIMEOUT_S
    model: str = ""  # empty = the server's default model

    def validated(self):
        """Returns a normalised copy, or raises SettingsError."""
        return ConnectionSettings(validate_host(self.host), validate_port(self.port),
                                  validate_timeout(self.timeout_s), validate_model_name(self.model))


def validate_host(host):
    if not isinstance(host, str):
        raise SettingsError(f"host must be text, got {type(host).__name__}")
    host = host.strip()
    if not host:
        raise SettingsError("host is empty; use e.g. 127.0.0.1 or a host name")
    candidate = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    try:
        address = ipaddress.ip_address(candidate)
    except ValueError:
        address = None
    if address is not None:
        if address.version == 6:
            raise SettingsError(
                f"host {host!r} is an IPv6 address, but Slicer's OpenIGTLink client socket is IPv4-only "
                "(it connects with AF_INET); use an IPv4 address such as 127.0.0.1, or a host name "
                "that has an IPv4 address")
        return str(address)
    if len(host) > 253:
        raise SettingsError(f"host name is {len(host)} characters long; at most 253 are allowed")
    labels = host.rstrip(".").split(".")
    if all(label.isdigit() for label in labels):
        raise SettingsError(f"host {host!r} is not a valid IPv4 address")
    for label in labels:
        if not _HOST_LABEL.match(label):
            raise SettingsError(f"host {host!r} is not a valid host name (bad part {label!r})")
    return host


def validate_port(port):
    if isinstance(port, str):
        text = port.strip()
        if not text.isdigit():
            raise SettingsError(f"port {port!r} is not a number; use 1..65535")
        port = int(text)
    if isinstance(port, bool) or not isinstance(port, int):
        raise SettingsError(f"port must be an integer, got {type(port).__name__}")
    if not 1 <= port <= 65535:
        raise SettingsError(f"port {port} is out of range; use 1..65535")
    return port


def validate_timeout(timeout_s):
    try:
        value = float(timeout_s)
    except (TypeError, ValueError):
        raise SettingsError(f"timeout {timeout_s!r} is not a number of seconds") from None
    if value != value or not MIN_TIMEOUT_S <= value <= MAX_TIMEOUT_S:
        raise SettingsError(f"timeout {timeout_s!r} s is out of range; use {MIN_TIMEOUT_S}..{MAX_TIMEOUT_S} s")
    return value


def validate_model_name(model):
    if model is None or model == "":
        return ""
    if not isinstance(model, str) or not _MODEL_NAME.match(model):
        raise SettingsError(f"model name {model!r} is invalid; use letters, digits, '.', '_' or '-'")
    return model
