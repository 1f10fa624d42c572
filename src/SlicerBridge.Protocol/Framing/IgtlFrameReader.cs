using System.Buffers;

namespace SlicerBridge.Protocol;

/// <summary>Pure framing functions: no I/O, no allocation beyond the parsed header strings.</summary>
public static class IgtlFrameReader
{
    /// <summary>
    /// Reads and validates a header (version, body size limit) from the front of <paramref name="reader"/>.
    /// Returns false (consuming nothing) when fewer than 58 bytes are available.
    /// </summary>
    public static bool TryReadHeader(ref SequenceReader<byte> reader, IgtlReaderOptions options, out IgtlHeader header)
    {
        Span<byte> raw = stackalloc byte[IgtlHeaderLayout.Size];
        if (!reader.TryCopyTo(raw)) { header = default; return false; }
        header = IgtlHeader.Read(raw);
        Validate(header, options);
        reader.Advance(IgtlHeaderLayout.Size);
        return true;
    }

    /// <summary>
    /// Reads one whole frame: header plus body. Returns false (consuming nothing) when the frame is not complete yet.
    /// The body is a slice of the input; it is valid until the input is released.
    /// </summary>
    public static bool TryReadFrame(ref SequenceReader<byte> reader, IgtlReaderOptions options, out IgtlHeader header, out ReadOnlySequence<byte> body)
    {
        var probe = reader; // a copy: nothing is consumed unless the whole frame is there
        if (!TryReadHeader(ref probe, options, out header) || probe.Remaining < (long)header.BodySize)
        {
            body = default;
            return false;
        }
        body = probe.UnreadSequence.Slice(0, (long)header.BodySize);
        probe.Advance((long)header.BodySize);
        reader = probe;
        return true;
    }

    /// <summary>Checks the parts of a header that must hold before its body is read.</summary>
    public static void Validate(in IgtlHeader header, IgtlReaderOptions options)
    {
        if (header.BodySize > (ulong)options.MaxBodyBytes)
            throw new IgtlLimitExceededException(IgtlRejectReason.BodyTooLarge,
                $"{Describe(header)}: body of {header.BodySize} bytes exceeds the limit of {options.MaxBodyBytes} bytes.", framingIntact: false, header);
        if (header.Version is not (1 or 2))
            throw new IgtlProtocolException(IgtlRejectReason.UnsupportedHeaderVersion,
                $"{Describe(header)}: header version {header.Version} is not supported (1 or 2).", framingIntact: false);
        if (header.MessageType.Length == 0)
            throw new IgtlProtocolException(IgtlRejectReason.BadValue, "Message with an empty type field.", framingIntact: false);
    }

    private static string Describe(in IgtlHeader header) =>
        header.MessageType.Length == 0 ? "message" : $"{header.MessageType} '{header.DeviceName}'";
}
