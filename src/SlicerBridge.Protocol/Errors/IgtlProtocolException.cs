namespace SlicerBridge.Protocol;

/// <summary>Base of every error raised for malformed or unacceptable OpenIGTLink input.</summary>
public class IgtlProtocolException : Exception
{
    public IgtlProtocolException(IgtlRejectReason reason, bool framingIntact, string message, Exception? inner = null)
        : base(message, inner)
    {
        Reason = reason;
        FramingIntact = framingIntact;
    }

    public IgtlRejectReason Reason { get; }

    /// <summary>True when the stream is still aligned on the next message (the bad message was fully consumed).</summary>
    public bool FramingIntact { get; }
}

/// <summary>The stream ended inside a header or a body.</summary>
public sealed class IgtlTruncatedMessageException(IgtlRejectReason reason, string message)
    : IgtlProtocolException(reason, framingIntact: false, message);

/// <summary>The body's CRC-64 does not match the header; the message was consumed, the stream is still aligned.</summary>
public sealed class IgtlChecksumMismatchException(IgtlHeader header, ulong actualCrc)
    : IgtlProtocolException(IgtlRejectReason.ChecksumMismatch, framingIntact: true,
        $"{header.MessageType} '{header.DeviceName}': CRC-64 of the {header.BodySize}-byte body is 0x{actualCrc:X16}, header says 0x{header.Crc:X16}")
{
    public IgtlHeader Header { get; } = header;
    public ulong ActualCrc { get; } = actualCrc;
}

/// <summary>A configured limit (body size, metadata, image dimensions) was exceeded before anything was allocated.</summary>
public sealed class IgtlLimitExceededException(IgtlRejectReason reason, bool framingIntact, string message)
    : IgtlProtocolException(reason, framingIntact, message);

/// <summary>A well-framed message whose header or body content is invalid; <see cref="Header"/> says which type/device.</summary>
public sealed class IgtlMalformedMessageException(IgtlHeader header, IgtlRejectReason reason, string message, bool framingIntact = true)
    : IgtlProtocolException(reason, framingIntact, $"{header.MessageType} '{header.DeviceName}': {message}")
{
    public IgtlHeader Header { get; } = header;
}

/// <summary>The peer stopped sending (inside a message, or between messages past the idle limit); the stream is abandoned.</summary>
public sealed class IgtlTimeoutException(IgtlRejectReason reason, string message)
    : IgtlProtocolException(reason, framingIntact: false, message);
