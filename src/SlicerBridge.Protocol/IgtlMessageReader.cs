using System.Buffers;
using System.IO.Pipelines;

namespace SlicerBridge.Protocol;

/// <summary>
/// Reads OpenIGTLink messages from a <see cref="PipeReader"/>. Small bodies are parsed where they lie in the
/// pipe; large bodies are copied once, as they arrive, into a pooled buffer of exactly their size (the CRC is
/// computed on each chunk right after it is copied), and an IMAGE keeps that buffer as its pixel storage.
/// Limits are checked on the header, and on an IMAGE's own header, before the buffer is rented.
/// </summary>
public sealed class IgtlMessageReader
{
    /// <summary>Bodies up to this size are parsed in place; larger ones are streamed into a pooled buffer.</summary>
    public const int InPlaceBodyLimit = 16 * 1024;

    private readonly PipeReader _reader;
    private readonly IgtlReaderOptions _options;

    public IgtlMessageReader(PipeReader reader, IgtlReaderOptions? options = null)
    {
        _reader = reader ?? throw new ArgumentNullException(nameof(reader));
        _options = options ?? IgtlReaderOptions.Default;
    }

    /// <summary>The header of the message being read (or last read), for error reports.</summary>
    public IgtlHeader? CurrentHeader { get; private set; }

    /// <summary>Reads the next message; null at a clean end of stream. Throws <see cref="IgtlProtocolException"/> subclasses.</summary>
    public async ValueTask<IgtlMessage?> ReadAsync(CancellationToken cancellationToken = default)
    {
        CurrentHeader = null;
        var header = await ReadHeaderAsync(cancellationToken).ConfigureAwait(false);
        if (header is not { } h) return null;
        CurrentHeader = h;
        long bodySize = (long)h.BodySize;
        if (bodySize <= InPlaceBodyLimit)
            return await ReadInPlaceAsync(h, bodySize, cancellationToken).ConfigureAwait(false);
        if (h.MessageType == ImageMessage.TypeName)
            await PreValidateImageAsync(h, bodySize, cancellationToken).ConfigureAwait(false);
        else if (!IsKnownType(h.MessageType))
        {
            await SkipAsync(h, bodySize, cancellationToken).ConfigureAwait(false);
            return new UnknownMessage(h.MessageType, h.BodySize) { DeviceName = h.DeviceName, Timestamp = h.Timestamp, HeaderVersion = h.Version };
        }
        return await ReadStreamedAsync(h, bodySize, cancellationToken).ConfigureAwait(false);
    }

    private static bool IsKnownType(string type) => type is ImageMessage.TypeName or PointMessage.TypeName or TransformMessage.TypeName
        or StringMessage.TypeName or StatusMessage.TypeName or CommandMessage.TypeName or RtsCommandMessage.TypeName or CapabilityMessage.TypeName
        || QueryMessage.IsQuery(type) || RtsMessage.IsRts(type);

    private async ValueTask<IgtlHeader?> ReadHeaderAsync(CancellationToken ct)
    {
        while (true)
        {
            var result = await _reader.ReadAsync(ct).ConfigureAwait(false);
            var buffer = result.Buffer;
            if (buffer.Length >= IgtlHeaderLayout.Size)
            {
                var sequenceReader = new SequenceReader<byte>(buffer);
                IgtlHeader header;
                try
                {
                    IgtlFrameReader.TryReadHeader(ref sequenceReader, _options, out header);
                }
                catch
                {
                    _reader.AdvanceTo(buffer.Start);
                    throw;
                }
                _reader.AdvanceTo(sequenceReader.Position);
                return header;
            }
            if (result.IsCompleted || result.IsCanceled)
            {
                _reader.AdvanceTo(buffer.End);
                if (buffer.IsEmpty) return null;
                throw new IgtlTruncatedMessageException(IgtlRejectReason.TruncatedHeader,
                    $"Stream ended after {buffer.Length} of the {IgtlHeaderLayout.Size} header bytes.");
            }
            _reader.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    private async ValueTask<ReadOnlySequence<byte>> WaitForAsync(IgtlHeader header, long needed, CancellationToken ct)
    {
        while (true)
        {
            var result = await _reader.ReadAsync(ct).ConfigureAwait(false);
            if (result.Buffer.Length >= needed) return result.Buffer;
            if (result.IsCompleted || result.IsCanceled)
            {
                _reader.AdvanceTo(result.Buffer.End);
                throw Truncated(header, result.Buffer.Length);
            }
            _reader.AdvanceTo(result.Buffer.Start, result.Buffer.End);
        }
    }

    private async ValueTask<IgtlMessage> ReadInPlaceAsync(IgtlHeader header, long bodySize, CancellationToken ct)
    {
        var buffer = bodySize == 0 ? ReadOnlySequence<byte>.Empty : await WaitForAsync(header, bodySize, ct).ConfigureAwait(false);
        var body = buffer.Slice(0, bodySize);
        try
        {
            return IgtlMessageParser.Parse(header, body, _options);
        }
        finally
        {
            if (bodySize > 0) _reader.AdvanceTo(body.End);
        }
    }

    /// <summary>Checks an IMAGE's own header (dimensions, pixel byte count, geometry) from the first bytes of its body.</summary>
    private async ValueTask PreValidateImageAsync(IgtlHeader header, long bodySize, CancellationToken ct)
    {
        int ext = header.Version == 2 ? IgtlHeaderLayout.ExtendedHeaderSize : 0;
        long needed = Math.Min(bodySize, ext + ImageMessage.ImageHeaderSize);
        var buffer = await WaitForAsync(header, needed, ct).ConfigureAwait(false);
        try
        {
            var first = new byte[needed];
            buffer.Slice(0, needed).CopyTo(first);
            long contentLength = bodySize;
            if (header.Version == 2)
                contentLength = ExtendedHeader.Read(header, first, bodySize, _options).ContentLength;
            if (first.Length < ext + ImageMessage.ImageHeaderSize || contentLength < ImageMessage.ImageHeaderSize)
                throw new IgtlMalformedMessageException(IgtlRejectReason.ContentTooShort, header, "content is shorter than the image header.");
            ImageMessage.ValidateImageHeader(header, first.AsSpan(ext), contentLength, _options);
        }
        catch (IgtlProtocolException ex) when (ex.FramingIntact)
        {
            // Keep the stream aligned: drop the rest of this body before reporting.
            _reader.AdvanceTo(buffer.Start);
            await SkipAsync(header, bodySize, ct).ConfigureAwait(false);
            throw;
        }
        catch
        {
            _reader.AdvanceTo(buffer.Start);
            throw;
        }
        _reader.AdvanceTo(buffer.Start);
    }

    private async ValueTask SkipAsync(IgtlHeader header, long bodySize, CancellationToken ct)
    {
        long left = bodySize;
        while (left > 0)
        {
            var result = await _reader.ReadAsync(ct).ConfigureAwait(false);
            var buffer = result.Buffer;
            long take = Math.Min(left, buffer.Length);
            _reader.AdvanceTo(buffer.GetPosition(take));
            left -= take;
            if (left > 0 && (result.IsCompleted || result.IsCanceled)) throw Truncated(header, bodySize - left);
        }
    }

    private async ValueTask<IgtlMessage> ReadStreamedAsync(IgtlHeader header, long bodySize, CancellationToken ct)
    {
        var target = new PooledBuffer(bodySize);
        try
        {
            long filled = 0;
            ulong crc = 0;
            while (filled < bodySize)
            {
                var result = await _reader.ReadAsync(ct).ConfigureAwait(false);
                var buffer = result.Buffer;
                long take = Math.Min(bodySize - filled, buffer.Length);
                var chunk = buffer.Slice(0, take);
                foreach (var segment in chunk)
                {
                    var destination = target.Memory.Span.Slice((int)filled, segment.Length);
                    segment.Span.CopyTo(destination);
                    if (_options.VerifyCrc) crc = Crc64.Compute(destination, crc);
                    filled += segment.Length;
                }
                _reader.AdvanceTo(chunk.End);
                if (filled < bodySize && (result.IsCompleted || result.IsCanceled)) throw Truncated(header, filled);
            }
            if (_options.VerifyCrc) IgtlMessageParser.VerifyCrc(header, crc);
            bool keepsBody = header.MessageType == ImageMessage.TypeName;
            var message = IgtlMessageParser.ParseContiguous(header, target.Memory, keepsBody ? target : null, _options);
            if (!keepsBody) target.Dispose();
            return message;
        }
        catch
        {
            target.Dispose();
            throw;
        }
    }

    private static IgtlTruncatedMessageException Truncated(in IgtlHeader header, long got) =>
        new(IgtlRejectReason.TruncatedBody, $"{header.MessageType} '{header.DeviceName}': stream ended after {got} of {header.BodySize} body bytes.");
}
