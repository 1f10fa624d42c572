namespace SlicerBridge.Protocol;

/// <summary>A message kept as its raw content: queries (GET_/STT_/STP_), RTS_ answers, and unknown types.</summary>
public abstract class RawBodyMessage : IgtlMessage
{
    private readonly string _type;

    protected RawBodyMessage(string messageType, ReadOnlyMemory<byte> content)
    {
        ArgumentException.ThrowIfNullOrEmpty(messageType);
        if (System.Text.Encoding.UTF8.GetByteCount(messageType) > IgtlHeaderLayout.TypeLength)
            throw new ArgumentException($"Message type '{messageType}' is longer than {IgtlHeaderLayout.TypeLength} bytes.", nameof(messageType));
        _type = messageType;
        Content = content;
    }

    public override string MessageType => _type;

    /// <summary>Content bytes as received or to send.</summary>
    public ReadOnlyMemory<byte> Content { get; }

    internal override int ContentHeaderLength => 0;
    internal override void WriteContentHeader(Span<byte> destination) { }
    internal override ReadOnlyMemory<byte> ContentTail => Content;
}

/// <summary>
/// GET_&lt;T&gt;, STT_&lt;T&gt; and STP_&lt;T&gt; queries (type names are truncated to 12 bytes on the wire,
/// e.g. GET_CAPABIL, GET_TRANSFOR). GET_ and STP_ have empty bodies; STT_ may carry parameters.
/// </summary>
public sealed class QueryMessage(string messageType, ReadOnlyMemory<byte> content = default) : RawBodyMessage(messageType, content)
{
    /// <summary>"GET", "STT" or "STP".</summary>
    public string Prefix => MessageType[..3];

    /// <summary>The queried type, e.g. "IMAGE", "STATUS", "CAPABIL".</summary>
    public string BaseType => MessageType[4..];

    public static bool IsQuery(string messageType) =>
        messageType.Length > 4 && messageType[3] == '_' && (messageType.StartsWith("GET", StringComparison.Ordinal)
            || messageType.StartsWith("STT", StringComparison.Ordinal) || messageType.StartsWith("STP", StringComparison.Ordinal));
}

/// <summary>RTS_&lt;T&gt; answers other than RTS_COMMAND (RTS_IMAGE, RTS_TRANS: one status byte, 0 = success).</summary>
public sealed class RtsMessage(string messageType, ReadOnlyMemory<byte> content = default) : RawBodyMessage(messageType, content)
{
    public string BaseType => MessageType[4..];

    /// <summary>The status byte when the body is one byte, else null.</summary>
    public byte? Status => Content.Length == 1 ? Content.Span[0] : null;

    public static bool IsRts(string messageType) => messageType.Length > 4 && messageType.StartsWith("RTS_", StringComparison.Ordinal);
}

/// <summary>A type this library does not decode; its body was skipped (only its size is kept).</summary>
public sealed class UnknownMessage(string messageType, ulong bodySize) : RawBodyMessage(messageType, ReadOnlyMemory<byte>.Empty)
{
    public ulong BodySize { get; } = bodySize;
}
