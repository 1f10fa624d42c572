using System.Buffers;

namespace SlicerBridge.Protocol;

/// <summary>Turns a header and its body into a message. Pure: no I/O.</summary>
public static class IgtlMessageParser
{
    /// <summary>
    /// Parses a body (verifying its CRC when <see cref="IgtlReaderOptions.VerifyCrc"/> is set). The returned
    /// message owns copies of whatever it keeps, so <paramref name="body"/> may be released afterwards.
    /// </summary>
    public static IgtlMessage Parse(in IgtlHeader header, ReadOnlySequence<byte> body, IgtlReaderOptions options)
    {
        IgtlFrameReader.Validate(header, options);
        if ((ulong)body.Length != header.BodySize)
            throw new IgtlTruncatedMessageException(IgtlRejectReason.TruncatedBody,
                $"{header.MessageType} '{header.DeviceName}': body is {body.Length} bytes, header says {header.BodySize}.");
        if (options.VerifyCrc) VerifyCrc(header, Crc64.Compute(body));
        bool keepsBody = header.MessageType == ImageMessage.TypeName;
        if (body.IsSingleSegment && !keepsBody)
            return ParseContiguous(header, body.First, owner: null, options);
        var buffer = new PooledBuffer(body.Length);
        body.CopyTo(buffer.Memory.Span);
        try
        {
            var message = ParseContiguous(header, buffer.Memory, keepsBody ? buffer : null, options);
            if (!keepsBody) buffer.Dispose();
            return message;
        }
        catch
        {
            buffer.Dispose();
            throw;
        }
    }

    internal static void VerifyCrc(in IgtlHeader header, ulong computed)
    {
        if (computed != header.Crc) throw new IgtlChecksumMismatchException(header, computed);
    }

    /// <summary>
    /// Parses a contiguous body (CRC already checked). When <paramref name="owner"/> is given, an IMAGE keeps
    /// its pixels inside <paramref name="body"/> and takes ownership of it.
    /// </summary>
    internal static IgtlMessage ParseContiguous(in IgtlHeader header, ReadOnlyMemory<byte> body, IDisposable? owner, IgtlReaderOptions options)
    {
        var span = body.Span;
        ReadOnlyMemory<byte> content = body;
        ExtendedHeader ext = default;
        if (header.Version == 2)
        {
            ext = ExtendedHeader.Read(header, span, body.Length, options);
            content = body.Slice(ext.ExtHeaderSize, (int)ext.ContentLength);
        }
        var message = ParseContent(header, content, owner, options);
        try
        {
            if (header.Version == 2)
            {
                int metaStart = ext.ExtHeaderSize + (int)ext.ContentLength;
                MetadataCodec.Read(header, span.Slice(metaStart, ext.MetaHeaderSize),
                    span.Slice(metaStart + ext.MetaHeaderSize, (int)ext.MetaDataSize), message.Metadata);
            }
            message.CopyEnvelopeFrom(header, ext.MessageId);
            return message;
        }
        catch
        {
            message.Dispose();
            throw;
        }
    }

    private static IgtlMessage ParseContent(in IgtlHeader header, ReadOnlyMemory<byte> content, IDisposable? owner, IgtlReaderOptions options)
    {
        var span = content.Span;
        switch (header.MessageType)
        {
            case ImageMessage.TypeName:
                return ImageMessage.Parse(header, content, owner, options);
            case PointMessage.TypeName: return PointMessage.Parse(header, span);
            case TransformMessage.TypeName: return TransformMessage.Parse(header, span);
            case StringMessage.TypeName: return StringMessage.Parse(header, span);
            case StatusMessage.TypeName: return StatusMessage.Parse(header, span);
            case CommandMessage.TypeName: return CommandMessage.Parse<CommandMessage>(header, span);
            case RtsCommandMessage.TypeName: return CommandMessage.Parse<RtsCommandMessage>(header, span);
            case CapabilityMessage.TypeName: return CapabilityMessage.Parse(header, span);
        }
        if (QueryMessage.IsQuery(header.MessageType)) return new QueryMessage(header.MessageType, span.ToArray());
        if (RtsMessage.IsRts(header.MessageType)) return new RtsMessage(header.MessageType, span.ToArray());
        return new UnknownMessage(header.MessageType, header.BodySize);
    }
}
