using System.Collections;

namespace SlicerBridge.Protocol;

/// <summary>One metadata value with its IANA MIBenum encoding (3 = US-ASCII, 106 = UTF-8).</summary>
public readonly record struct IgtlMetadataValue(string Value, ushort Encoding = IgtlMetadata.EncodingUtf8);

/// <summary>Header version 2 metadata: unique keys, emitted sorted by ordinal byte order like the C++ std::map.</summary>
public sealed class IgtlMetadata : IEnumerable<KeyValuePair<string, IgtlMetadataValue>>
{
    public const ushort EncodingUsAscii = 3;
    public const ushort EncodingUtf8 = 106;

    private readonly SortedDictionary<string, IgtlMetadataValue> _entries = new(StringComparer.Ordinal);

    public int Count => _entries.Count;

    public string this[string key]
    {
        get => _entries[key].Value;
        set => Set(key, value);
    }

    public void Set(string key, string value, ushort encoding = EncodingUtf8)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        ArgumentNullException.ThrowIfNull(value);
        _entries[key] = new IgtlMetadataValue(value, encoding);
    }

    public bool TryGetValue(string key, out string value)
    {
        if (_entries.TryGetValue(key, out var v)) { value = v.Value; return true; }
        value = "";
        return false;
    }

    public bool TryGetEntry(string key, out IgtlMetadataValue value) => _entries.TryGetValue(key, out value);

    public bool Remove(string key) => _entries.Remove(key);

    public void Clear() => _entries.Clear();

    public IEnumerator<KeyValuePair<string, IgtlMetadataValue>> GetEnumerator() => _entries.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
