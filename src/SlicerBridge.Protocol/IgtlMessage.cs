namespace SlicerBridge.Protocol;

/// <summary>
/// Base of every OpenIGTLink message: what the header carries (type, device name, time stamp), the
/// header version to write (1, or 2 with extended header and metadata) and the v2 metadata.
/// A message's content is written as a fixed part (<see cref="ContentHeaderLength"/> bytes) plus an
/// optional tail held by reference (IMAGE pixels), so large payloads are never copied into a temporary body.
/// </summary>
public abstract class IgtlMessage : IDisposable
{
    private ushort _headerVersion = 1;

    /// <summary>The header's type field, e.g. "IMAGE", "RTS_COMMAND".</summary>
    public abstract string MessageType { get; }

    /// <summary>Device name (≤ 20 bytes on the wire; longer names are truncated when written).</summary>
    public string DeviceName { get; set; } = string.Empty;

    public IgtlTimestamp Timestamp { get; set; }

    /// <summary>1 (no metadata) or 2 (extended header + metadata).</summary>
    public ushort HeaderVersion
    {
        get => _headerVersion;
        set => _headerVersion = value is 1 or 2 ? value : throw new ArgumentOutOfRangeException(nameof(value), "Header version must be 1 or 2.");
    }

    /// <summary>Message id of the v2 extended header.</summary>
    public uint MessageId { get; set; }

    /// <summary>Metadata, written only with header version 2.</summary>
    public IgtlMetadata Metadata { get; } = new();

    /// <summary>Bytes of the fixed content part.</summary>
    internal abstract int ContentHeaderLength { get; }

    /// <summary>Writes the fixed content part (exactly <see cref="ContentHeaderLength"/> bytes).</summary>
    internal abstract void WriteContentHeader(Span<byte> destination);

    /// <summary>Bulk content written after the fixed part without copying into a temporary buffer.</summary>
    internal virtual ReadOnlyMemory<byte> ContentTail => ReadOnlyMemory<byte>.Empty;

    internal void CopyEnvelopeFrom(in IgtlHeader header, uint messageId)
    {
        DeviceName = header.DeviceName;
        Timestamp = header.Timestamp;
        HeaderVersion = header.Version;
        MessageId = messageId;
    }

    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    protected virtual void Dispose(bool disposing)
    {
    }

    public override string ToString() => $"{MessageType} '{DeviceName}' (v{HeaderVersion})";
}
