namespace SlicerBridge.Protocol;

/// <summary>Base of all OpenIGTLink messages. The writer uses <see cref="HeaderVersion"/>; version 2 carries
/// <see cref="MessageId"/> and <see cref="Metadata"/>.</summary>
public abstract class IgtlMessage : IDisposable
{
    private ushort _headerVersion = 2;

    /// <summary>Type name as on the wire (≤ 12 ASCII characters), e.g. "IMAGE", "GET_STATUS".</summary>
    public abstract string MessageType { get; }

    /// <summary><see cref="MessageType"/> decoded (once per message); dispatch on this, not on the name.</summary>
    public IgtlMessageKind Kind => _kind ??= IgtlMessageKinds.Decode(MessageType);
    private IgtlMessageKind? _kind;

    public string DeviceName { get; set; } = "";
    public IgtlTimestamp Timestamp { get; set; }
    public uint MessageId { get; set; }
    public IgtlMetadata Metadata { get; } = new();

    public ushort HeaderVersion
    {
        get => _headerVersion;
        set => _headerVersion = value is 1 or 2 ? value
            : throw new ArgumentOutOfRangeException(nameof(value), value, "OpenIGTLink header version is 1 or 2.");
    }

    /// <summary>Size of the fixed/small part of the content, written by <see cref="WriteContentHead"/>.</summary>
    internal abstract int ContentHeadSize { get; }

    internal abstract void WriteContentHead(Span<byte> destination);

    /// <summary>Bulk bytes following the head (image pixels), written without an intermediate copy.</summary>
    internal virtual ReadOnlyMemory<byte> ContentPayload => ReadOnlyMemory<byte>.Empty;

    /// <summary>Checks the message can be sent; throws <see cref="InvalidOperationException"/> otherwise.</summary>
    internal virtual void ValidateForWrite() { }

    internal void CopyHeaderFieldsFrom(in IgtlHeader header)
    {
        DeviceName = header.DeviceName;
        Timestamp = header.Timestamp;
        _headerVersion = header.Version;
    }

    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    protected virtual void Dispose(bool disposing) { }

    public override string ToString() => $"{MessageType} '{DeviceName}' (v{HeaderVersion})";
}
