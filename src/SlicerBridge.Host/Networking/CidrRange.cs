using System.Diagnostics.CodeAnalysis;
using System.Net;
using System.Net.Sockets;

namespace SlicerBridge.Host.Networking;

/// <summary>An IPv4 or IPv6 network in CIDR notation; IPv4-mapped IPv6 clients match IPv4 ranges.</summary>
public sealed class CidrRange
{
    private readonly byte[] _network;
    private readonly int _prefix;

    private CidrRange(byte[] network, int prefix, AddressFamily family) { _network = network; _prefix = prefix; Family = family; }

    public AddressFamily Family { get; }

    public static CidrRange Parse(string text) =>
        TryParse(text, out var range) ? range : throw new FormatException($"'{text}' is not CIDR notation (e.g. 192.168.0.0/16).");

    public static bool TryParse(string? text, [NotNullWhen(true)] out CidrRange? range)
    {
        range = null;
        if (string.IsNullOrWhiteSpace(text)) return false;
        string[] parts = text.Trim().Split('/');
        if (parts.Length > 2 || !IPAddress.TryParse(parts[0], out var address)) return false;
        // IPAddress also accepts legacy short forms ("10.1" = 10.0.0.1); CIDR wants all four IPv4 parts.
        if (address.AddressFamily == AddressFamily.InterNetwork && parts[0].Split('.').Length != 4) return false;
        byte[] bytes = address.GetAddressBytes();
        int prefix = bytes.Length * 8;
        if (parts.Length == 2 && (!int.TryParse(parts[1], out prefix) || prefix < 0 || prefix > bytes.Length * 8)) return false;
        Mask(bytes, prefix);
        range = new CidrRange(bytes, prefix, address.AddressFamily);
        return true;
    }

    public bool Contains(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6 && Family == AddressFamily.InterNetwork) address = address.MapToIPv4();
        byte[] bytes = address.GetAddressBytes();
        if (bytes.Length != _network.Length) return false;
        Mask(bytes, _prefix);
        return bytes.AsSpan().SequenceEqual(_network);
    }

    private static void Mask(byte[] bytes, int prefix)
    {
        for (int i = 0; i < bytes.Length; i++)
        {
            int keep = Math.Clamp(prefix - i * 8, 0, 8);
            bytes[i] &= (byte)(0xFF << (8 - keep));
        }
    }

    public override string ToString() => $"{new IPAddress(_network)}/{_prefix}";
}
