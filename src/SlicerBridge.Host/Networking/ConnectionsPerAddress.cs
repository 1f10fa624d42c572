using System.Net;

namespace SlicerBridge.Host.Networking;

/// <summary>
/// Open connections counted per client address, so one address cannot take every slot of the server
/// (Server:MaxClientsPerAddress). IPv4-mapped IPv6 addresses count as their IPv4 address. Thread-safe.
/// </summary>
public sealed class ConnectionsPerAddress(int maxPerAddress)
{
    private readonly Dictionary<IPAddress, int> _open = [];

    /// <summary>Counts a new connection from <paramref name="address"/>; false (nothing counted) when it already holds the maximum.</summary>
    public bool TryAdd(IPAddress address, out int open)
    {
        address = Normalize(address);
        lock (_open)
        {
            open = _open.GetValueOrDefault(address);
            if (open >= maxPerAddress) return false;
            _open[address] = ++open;
            return true;
        }
    }

    public void Remove(IPAddress address)
    {
        address = Normalize(address);
        lock (_open)
        {
            if (!_open.TryGetValue(address, out int open)) return;
            if (open <= 1) _open.Remove(address);
            else _open[address] = open - 1;
        }
    }

    public int OpenFrom(IPAddress address)
    {
        lock (_open) return _open.GetValueOrDefault(Normalize(address));
    }

    private static IPAddress Normalize(IPAddress address) => address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
}
