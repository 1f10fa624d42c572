namespace SlicerBridge.Protocol;

/// <summary>GET_/STT_/STP_ query for a base type (e.g. "GET_STATUS"); the content (usually empty, STT_ may carry one) is kept raw.</summary>
public sealed class QueryMessage : IgtlMessage
{
    private readonly string _messageType;

    public QueryMessage(string messageType)
    {
        if (!IsQueryType(messageType))
            throw new ArgumentException($"'{messageType}' is not a GET_/STT_/STP_ type.", nameof(messageType));
        _messageType = messageType;
    }

    public override string MessageType => _messageType;
    public string Prefix => _messageType[..4];
    public string BaseType => _messageType[4..];
    public byte[] Content { get; set; } = [];

    public static bool IsQueryType(string type) =>
        IgtlMessageKinds.Decode(type) is IgtlMessageKind.GetStatus or IgtlMessageKind.GetCapability or IgtlMessageKind.OtherQuery;

    internal override int ContentHeadSize => Content.Length;
    internal override void WriteContentHead(Span<byte> destination) => Content.CopyTo(destination);
}

/// <summary>RTS_&lt;T&gt; other than RTS_COMMAND: usually one status byte (0 success, 1 error), kept raw.</summary>
public sealed class RtsMessage : IgtlMessage
{
    private readonly string _messageType;

    public RtsMessage(string messageType)
    {
        if (IgtlMessageKinds.Decode(messageType) != IgtlMessageKind.OtherRts)
            throw new ArgumentException($"'{messageType}' is not an RTS_ type.", nameof(messageType));
        _messageType = messageType;
    }

    public override string MessageType => _messageType;
    public string BaseType => _messageType[4..];
    public byte[] Content { get; set; } = [];
    /// <summary>The status byte when the content is one byte, else null.</summary>
    public byte? Status => Content.Length == 1 ? Content[0] : null;

    internal override int ContentHeadSize => Content.Length;
    internal override void WriteContentHead(Span<byte> destination) => Content.CopyTo(destination);
}

/// <summary>A type this library does not decode; its body was skipped by size.</summary>
public sealed class UnknownMessage(string messageType, ulong bodySize) : IgtlMessage
{
    public override string MessageType { get; } = messageType;
    public ulong BodySize { get; } = bodySize;

    internal override int ContentHeadSize => 0;
    internal override void WriteContentHead(Span<byte> destination) { }
    internal override void ValidateForWrite() =>
        throw new InvalidOperationException($"{MessageType} '{DeviceName}': an unknown message has no content to send.");
}
