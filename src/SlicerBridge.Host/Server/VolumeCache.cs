using SlicerBridge.Inference.Volumes;

namespace SlicerBridge.Host.Server;

/// <summary>A volume that has left the cache (evicted or replaced): the client must send it again.</summary>
public sealed class VolumeEvictedException(string message) : Exception(message);

/// <summary>A volume larger than the whole cache budget.</summary>
public sealed class VolumeTooLargeException(string message) : Exception(message);

/// <summary>
/// Received volumes shared by all sessions, keyed by <see cref="Volume.ContentKey"/> (two clients sending the
/// same scan share one copy). Bounded by a byte budget: past it, the least recently used volumes that no
/// session targets (pin count 0) are evicted. Pinned volumes are never evicted, so the budget can be exceeded
/// only while every cached volume is someone's target.
/// </summary>
public sealed class VolumeCache
{
    private readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly object _gate = new();
    private long _clock;
    private long _usedBytes;

    public VolumeCache(long budgetBytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(budgetBytes);
        BudgetBytes = budgetBytes;
    }

    public long BudgetBytes { get; }
    public long UsedBytes { get { lock (_gate) return _usedBytes; } }
    public int Count { get { lock (_gate) return _entries.Count; } }
    public long Evictions { get; private set; }

    /// <summary>Adds (or finds the identical) volume and pins it once for the caller. Returns its content key.</summary>
    public string AddPinned(Volume volume)
    {
        ArgumentNullException.ThrowIfNull(volume);
        if (volume.SizeBytes > BudgetBytes)
            throw new VolumeTooLargeException(
                $"Volume '{volume.Name}' ({volume.Geometry.SizeI}x{volume.Geometry.SizeJ}x{volume.Geometry.SizeK}) needs {volume.SizeBytes} bytes as float32, more than the cache budget of {BudgetBytes} bytes.");
        string key = volume.ContentKey; // hashed outside the lock
        lock (_gate)
        {
            if (!_entries.TryGetValue(key, out var entry))
            {
                entry = new Entry(volume);
                _entries[key] = entry;
                _usedBytes += volume.SizeBytes;
            }
            entry.Pins++;
            entry.LastUse = ++_clock;
            EvictOverBudget();
            return key;
        }
    }

    public void Pin(string key)
    {
        lock (_gate)
        {
            if (!_entries.TryGetValue(key, out var entry)) throw Evicted(key);
            entry.Pins++;
            entry.LastUse = ++_clock;
        }
    }

    public void Unpin(string key)
    {
        lock (_gate)
        {
            if (!_entries.TryGetValue(key, out var entry)) return;
            if (entry.Pins > 0) entry.Pins--;
            EvictOverBudget();
        }
    }

    /// <summary>The volume for a key, or <see cref="VolumeEvictedException"/> when it is no longer cached.</summary>
    public Volume Get(string key, string displayName)
    {
        lock (_gate)
        {
            if (!_entries.TryGetValue(key, out var entry)) throw Evicted(displayName);
            entry.LastUse = ++_clock;
            return entry.Volume;
        }
    }

    public bool Contains(string key) { lock (_gate) return _entries.ContainsKey(key); }

    private void EvictOverBudget()
    {
        if (_usedBytes <= BudgetBytes) return;
        foreach (var victim in _entries.Values.Where(e => e.Pins == 0).OrderBy(e => e.LastUse).ToList())
        {
            if (_usedBytes <= BudgetBytes) break;
            _entries.Remove(victim.Volume.ContentKey);
            _usedBytes -= victim.Volume.SizeBytes;
            Evictions++;
        }
    }

    private static VolumeEvictedException Evicted(string name) =>
        new($"Volume '{name}' is no longer cached on the server (evicted under the memory budget); send the volume again.");

    private sealed class Entry(Volume volume)
    {
        public Volume Volume { get; } = volume;
        public int Pins;
        public long LastUse;
    }
}
