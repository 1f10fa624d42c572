using System.Buffers;

namespace SlicerBridge.Protocol;

/// <summary>Pure framing over buffered bytes: header (58 bytes) then BODY_SIZE bytes. No I/O, no allocation of the body.</summary>
public static class IgtlFrameReader
{
    /// <summary>Reads one complete frame and advances <paramref name="reader"/> past it; returns false (reader unchanged) when
    /// more bytes are needed. The header is validated (version, body size limit) as soon as its 58 bytes are present,
    /// and the CRC is verified when <see cref="IgtlReaderOptions.VerifyCrc"/> is set (the reader is advanced first, so a
    /// mismatch leaves the stream aligned).</summary>
    public static bool TryReadFrame(ref SequenceReader<byte> reader, IgtlReaderOptions options, out IgtlHeader header, out ReadOnlySequence<byte> body)
    {
        body = default;
        if (!TryPeekHeader(ref reader, options, out header)) return false;
        long total = IgtlHeaderLayout.Size + (long)header.BodySize;
        if (reader.Remaining < total) return false;
        body = reader.UnreadSequence.Slice(IgtlHeaderLayout.Size, (long)header.BodySize);
        reader.Advance(total);
        if (options.VerifyCrc) VerifyCrc(header, body);
        return true;
    }

    /// <summary>Decodes and validates the header if 58 bytes are buffered; does not advance.</summary>
    public static bool TryPeekHeader(ref SequenceReader<byte> reader, IgtlReaderOptions options, out IgtlHeader header)
    {
        header = default;
        if (reader.Remaining < IgtlHeaderLayout.Size) return false;
        Span<byte> raw = stackalloc byte[IgtlHeaderLayout.Size];
        reader.TryCopyTo(raw);
        header = IgtlHeader.Decode(raw);
        if (header.Version is not (1 or 2))
            throw new IgtlProtocolException(IgtlRejectReason.UnsupportedHeaderVersion, false,
                $"header version {header.Version} (type '{header.MessageType}', device '{header.DeviceName}'); only 1 and 2 exist");
        if (header.BodySize > (ulong)options.MaxBodyBytes)
            throw new IgtlLimitExceededException(IgtlRejectReason.BodyTooLarge, false,
                $"{header.MessageType} '{header.DeviceName}': body size {header.BodySize} exceeds the limit {options.MaxBodyBytes}");
        return true;
    }

    public static void VerifyCrc(in IgtlHeader header, ReadOnlySequence<byte> body)
    {
        ulong crc = IgtlCrc.Compute(body);
        if (crc != header.Crc) throw new IgtlChecksumMismatchException(header, crc);
    }
}
