using System.Collections;
using System.Text;

namespace SlicerBridge.Protocol;

/// <summary>One metadata value: text and its IANA encoding (3 = US-ASCII, 106 = UTF-8).</summary>
public readonly record struct IgtlMetadataValue(string Value, ushort Encoding = IgtlMetadata.Utf8);

/// <summary>
/// Header-version-2 metadata: unique keys with string values. Written sorted by key (ordinal), as the
/// C++ library does (it keeps them in a std::map).
/// </summary>
public sealed class IgtlMetadata : IEnumerable<KeyValuePair<string, IgtlMetadataValue>>
{
    public const ushort UsAscii = 3;
    public const ushort Utf8 = 106;

    private readonly SortedDictionary<string, IgtlMetadataValue> _entries = new(StringComparer.Ordinal);

    public int Count => _entries.Count;

    public string this[string key]
    {
        get => _entries[key].Value;
        set => Set(key, value);
    }

    public void Set(string key, string value, ushort encoding = Utf8)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        ArgumentNullException.ThrowIfNull(value);
        if (Encoding.UTF8.GetByteCount(key) > ushort.MaxValue) throw new ArgumentException("Metadata key longer than 65535 bytes.", nameof(key));
        _entries[key] = new IgtlMetadataValue(value, encoding);
    }

    public bool TryGetValue(string key, out string value)
    {
        if (_entries.TryGetValue(key, out var v)) { value = v.Value; return true; }
        value = string.Empty;
        return false;
    }

    public bool ContainsKey(string key) => _entries.ContainsKey(key);
    public bool Remove(string key) => _entries.Remove(key);
    public void Clear() => _entries.Clear();

    public IEnumerator<KeyValuePair<string, IgtlMetadataValue>> GetEnumerator() => _entries.GetEnumerator();
    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    internal IReadOnlyDictionary<string, IgtlMetadataValue> Entries => _entries;
}
