namespace SlicerBridge.Protocol;

/// <summary>Why a message or stream was rejected.</summary>
public enum IgtlRejectReason
{
    TruncatedHeader,
    TruncatedBody,
    UnsupportedHeaderVersion,
    BodyTooLarge,
    ChecksumMismatch,
    BadExtendedHeader,
    BadMetadata,
    MetadataLimitExceeded,
    ContentTooShort,
    ContentSizeMismatch,
    UnsupportedImageHeaderVersion,
    UnsupportedScalarType,
    BadImageSize,
    ImageLimitExceeded,
    BadGeometry,
    FieldTooLong,
    BadValue,
}

/// <summary>Any OpenIGTLink protocol violation.</summary>
public class IgtlProtocolException : Exception
{
    public IgtlProtocolException(IgtlRejectReason reason, string message, bool framingIntact, Exception? inner = null)
        : base(message, inner)
    {
        Reason = reason;
        FramingIntact = framingIntact;
    }

    public IgtlRejectReason Reason { get; }

    /// <summary>
    /// True when the stream is still aligned on the next message (the bad message's body was consumed),
    /// so a connection may report the error and continue; false when the stream cannot be trusted any more.
    /// </summary>
    public bool FramingIntact { get; }
}

/// <summary>The stream ended inside a header or a body.</summary>
public sealed class IgtlTruncatedMessageException(IgtlRejectReason reason, string message)
    : IgtlProtocolException(reason, message, framingIntact: false);

/// <summary>The body's CRC-64 does not match the header. The body was consumed; the stream stays aligned.</summary>
public sealed class IgtlChecksumMismatchException(IgtlHeader header, ulong computed)
    : IgtlProtocolException(IgtlRejectReason.ChecksumMismatch,
        $"{header.MessageType} '{header.DeviceName}': CRC-64 mismatch (header 0x{header.Crc:X16}, body 0x{computed:X16}).",
        framingIntact: true)
{
    public IgtlHeader Header { get; } = header;
}

/// <summary>A configured limit (body size, metadata, image dimensions) was exceeded; nothing was allocated for it.</summary>
public sealed class IgtlLimitExceededException(IgtlRejectReason reason, string message, bool framingIntact, IgtlHeader? header = null)
    : IgtlProtocolException(reason, message, framingIntact)
{
    public IgtlHeader? Header { get; } = header;
}

/// <summary>A well-framed message whose body is not valid for its type (bad sizes, NaN matrix, unknown scalar type, …).</summary>
public sealed class IgtlMalformedMessageException(IgtlRejectReason reason, IgtlHeader header, string detail)
    : IgtlProtocolException(reason, $"{header.MessageType} '{header.DeviceName}': {detail}", framingIntact: true)
{
    public IgtlHeader Header { get; } = header;
}
