"""Device-name rules of OpenIGTLink and the SlicerBridge wire contract (docs/protocol.md)."""

DEVICE_NAME_MAX_BYTES = 20
RESULT_SUFFIX = "_seg"
RESULT_PREFIX_MAX_CHARS = 16
# The initial mask sent to refine an existing segment (docs/protocol.md, "Refining an existing segment").
# The volume prefix is cut so that the whole name fits the 20-byte device name field: the OpenIGTLink
# library copies at most 20 bytes (igtlMessageBase.cxx, strncpy(h->device_name, ..., 20)).
PRIOR_SUFFIX = "_prior"
PRIOR_PREFIX_MAX_CHARS = DEVICE_NAME_MAX_BYTES - len(PRIOR_SUFFIX)

# The markups node holding every prompt point (one POINT message per edit). The server reads a point
# as negative when its name starts with "-" or the device name ends with "-"; this name must not.
PROMPT_NODE_NAME = "SBPrompts"
NEGATIVE_POINT_PREFIX = "-"
COMMAND_DEVICE_NAME = "command"


def _require_ascii(name, what):
    if not isinstance(name, str):
        raise TypeError(f"{what} must be a str, got {type(name).__name__}")
    try:
        name.encode("ascii")
    except UnicodeEncodeError:
        raise ValueError(f"{what} {name!r} contains non-ASCII characters; "
                         "OpenIGTLink device names are ASCII, rename the node") from None
    if "\0" in name:
        raise ValueError(f"{what} {name!r} contains a NUL character")


def device_name(node_name):
    """The device name the connector sends for a node: the node name cut at 20 bytes."""
    _require_ascii(node_name, "node name")
    if not node_name:
        raise ValueError("node name is empty; an empty device name is reserved for the capability STATUS")
    return node_name[:DEVICE_NAME_MAX_BYTES]


def result_device_name(volume_name):
    """Name of the labelmap the server sends back: first 16 chars of the volume name + '_seg'."""
    return device_name(volume_name)[:RESULT_PREFIX_MAX_CHARS] + RESULT_SUFFIX


def prior_device_name(volume_device):
    """Name of the initial-mask IMAGE for a volume: first 14 chars of its device name + '_prior'."""
    return device_name(volume_device)[:PRIOR_PREFIX_MAX_CHARS] + PRIOR_SUFFIX


def is_negative_device(name):
    """True for a POINT device whose points are all negative (name ends with '-')."""
    return name.endswith("-")


def is_negative_point(point_name):
    """True for a POINT element the server reads as negative (name starts with '-')."""
    return point_name.startswith(NEGATIVE_POINT_PREFIX)


def fits_device_name(name):
    """True when a name survives the 20-byte truncation unchanged (so replies can be matched)."""
    try:
        return device_name(name) == name
    except ValueError:
        return False
