using System.Buffers;
using System.Buffers.Binary;
using System.IO.Hashing;
using System.IO.Pipelines;

namespace SlicerBridge.Protocol;

/// <summary>Reads messages from a <see cref="PipeReader"/>. Returns null at a clean end of stream between messages; throws
/// <see cref="IgtlProtocolException"/> on malformed input. After an exception with <see cref="IgtlProtocolException.FramingIntact"/>
/// the bad message has been consumed and reading may continue.</summary>
/// <remarks>
/// Small messages are parsed where they lie in the pipe. An IMAGE body larger than <see cref="StreamedImageThreshold"/> is
/// not buffered whole in the pipe: its image head is validated against the limits first, then the pixels are copied, as
/// they arrive, straight into one pooled buffer of their exact size that the message keeps (the CRC runs on each chunk
/// right after it is copied). So a large volume costs one copy and one rented buffer, and a bad one costs nothing. A reader
/// made over a <see cref="Stream"/> goes further: once the pipe's buffered bytes are used, the rest of the pixels are
/// read from the stream straight into that buffer (the socket's copy is the only one).
/// Unknown types larger than that threshold, and known non-IMAGE types beyond
/// <see cref="IgtlReaderOptions.MaxNonImageBodyBytes"/>, are skipped as their bytes arrive (CRC checked on the way),
/// never buffered whole.
/// </remarks>
public sealed class IgtlMessageReader(PipeReader input, IgtlReaderOptions? options = null, ArrayPool<byte>? pixelPool = null)
{
    /// <summary>IMAGE bodies above this size take the streamed path.</summary>
    public const int StreamedImageThreshold = 64 * 1024;

    /// <summary>Pipe buffer of a reader made over a stream: large enough for any small message in a few reads.</summary>
    public const int DefaultStreamBufferSize = 64 * 1024;

    /// <summary>Largest single read straight into a pixel buffer, so the CRC of each piece runs while it is still in cache.</summary>
    private const int DirectReadBytes = 1 << 20;

    private readonly IgtlReaderOptions _options = options ?? IgtlReaderOptions.Default;
    private readonly ArrayPool<byte> _pool = pixelPool ?? ArrayPool<byte>.Shared;
    private readonly Stream? _direct;

    /// <summary>A reader that owns a pipe over <paramref name="source"/> (left open) and reads large pixel bodies from it directly.</summary>
    public IgtlMessageReader(Stream source, IgtlReaderOptions? options = null, ArrayPool<byte>? pixelPool = null, int bufferSize = DefaultStreamBufferSize)
        : this(PipeReader.Create(source, new StreamPipeReaderOptions(bufferSize: bufferSize, minimumReadSize: Math.Max(1024, bufferSize / 4), leaveOpen: true)),
            options, pixelPool)
    {
        _direct = source;
    }

    /// <summary>Set for the duration of one <see cref="ReadAsync"/> when a timeout is configured; re-armed before every read.</summary>
    private CancellationTokenSource? _deadline;
    private bool _messageStarted;

    /// <summary>
    /// The next message, or null at a clean end of stream. With <see cref="IgtlReaderOptions.MessageReadTimeout"/> or
    /// <see cref="IgtlReaderOptions.IdleTimeout"/> set, a read that waits longer than the one that applies (a message has
    /// begun, or none has) ends in an <see cref="IgtlTimeoutException"/>; the stream is then no longer aligned.
    /// </summary>
    public async ValueTask<IgtlMessage?> ReadAsync(CancellationToken cancellationToken = default)
    {
        if (_options.MessageReadTimeout is null && _options.IdleTimeout is null)
            return await ReadMessageAsync(cancellationToken).ConfigureAwait(false);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        _deadline = deadline;
        try
        {
            return await ReadMessageAsync(deadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw _messageStarted
                ? new IgtlTimeoutException(IgtlRejectReason.MessageTimedOut,
                    $"a message had begun but no more of it arrived for {_options.MessageReadTimeout!.Value.TotalSeconds:0.###} s")
                : new IgtlTimeoutException(IgtlRejectReason.ConnectionIdle,
                    $"no message arrived for {_options.IdleTimeout!.Value.TotalSeconds:0.###} s (idle timeout)");
        }
        finally { _deadline = null; }
    }

    /// <summary>Starts the clock for the next read: the message timeout inside a message, the idle timeout between messages.</summary>
    private void Arm(bool messageStarted)
    {
        if (_deadline is null) return;
        _messageStarted = messageStarted;
        var limit = messageStarted ? _options.MessageReadTimeout : _options.IdleTimeout;
        _deadline.CancelAfter(limit ?? Timeout.InfiniteTimeSpan);
    }

    private async ValueTask<IgtlMessage?> ReadMessageAsync(CancellationToken cancellationToken)
    {
        bool started = false;
        while (true)
        {
            Arm(started);
            ReadResult result = await input.ReadAsync(cancellationToken).ConfigureAwait(false);
            ReadOnlySequence<byte> buffer = result.Buffer;
            SequencePosition consumed = buffer.Start, examined = buffer.End;
            IgtlHeader? streamed = null, skipped = null;
            try
            {
                var reader = new SequenceReader<byte>(buffer);
                var frameOptions = _options with { VerifyCrc = false };
                if (IgtlFrameReader.TryPeekHeader(ref reader, frameOptions, out var peeked)
                    && peeked.Kind == IgtlMessageKind.Image && peeked.BodySize > StreamedImageThreshold
                    && (ulong)buffer.Length - IgtlHeaderLayout.Size < peeked.BodySize)
                {
                    consumed = examined = buffer.GetPosition(IgtlHeaderLayout.Size);
                    streamed = peeked;
                }
                else if (peeked.MessageType is { Length: > 0 } && peeked.Kind != IgtlMessageKind.Image
                         && (IgtlMessageKinds.IsKnown(peeked.Kind) ? IsOversizeNonImage(peeked) : peeked.BodySize > StreamedImageThreshold)
                         && (ulong)buffer.Length - IgtlHeaderLayout.Size < peeked.BodySize)
                {
                    consumed = examined = buffer.GetPosition(IgtlHeaderLayout.Size);
                    skipped = peeked;
                }
                else if (IgtlFrameReader.TryReadFrame(ref reader, frameOptions, out var header, out var body))
                {
                    consumed = reader.Position;
                    examined = consumed;
                    if (_options.VerifyCrc) IgtlFrameReader.VerifyCrc(header, body);
                    if (header.Kind is not (IgtlMessageKind.Image or IgtlMessageKind.Unknown) && IsOversizeNonImage(header))
                        throw NonImageTooLarge(header);
                    return IgtlMessageParser.Parse(header, body, _options, _pool);
                }
                else if (result.IsCompleted)
                {
                    if (buffer.IsEmpty) return null;
                    if (buffer.Length < IgtlHeaderLayout.Size)
                        throw new IgtlTruncatedMessageException(IgtlRejectReason.TruncatedHeader,
                            $"stream ended after {buffer.Length} of the {IgtlHeaderLayout.Size} header bytes");
                    throw Truncated(peeked, buffer.Length - IgtlHeaderLayout.Size);
                }
                else if (result.IsCanceled) throw new OperationCanceledException(cancellationToken);
                started = !buffer.IsEmpty;
            }
            finally
            {
                input.AdvanceTo(consumed, examined);
            }
            if (streamed is { } h) return await ReadStreamedImageAsync(h, cancellationToken).ConfigureAwait(false);
            if (skipped is { } s) return await SkipStreamedAsync(s, cancellationToken).ConfigureAwait(false);
        }
    }

    private async ValueTask<IgtlMessage> ReadStreamedImageAsync(IgtlHeader header, CancellationToken ct)
    {
        long bodySize = (long)header.BodySize;
        long left = bodySize;
        var crc = new Crc64();

        // Extended header (v2): where the content ends and how long the metadata trailer is.
        byte[] ext = [];
        long contentLength = bodySize;
        if (header.Version == 2)
        {
            ext = await ReadExactAsync(header, IgtlHeaderLayout.ExtendedHeaderSize, bodySize - left, ct).ConfigureAwait(false);
            int extSize = BinaryPrimitives.ReadUInt16BigEndian(ext.AsSpan(IgtlHeaderLayout.ExtHeaderSizeOffset));
            long trailer = BinaryPrimitives.ReadUInt16BigEndian(ext.AsSpan(IgtlHeaderLayout.MetaHeaderSizeOffset))
                + (long)BinaryPrimitives.ReadUInt32BigEndian(ext.AsSpan(IgtlHeaderLayout.MetaDataSizeOffset));
            left -= ext.Length;
            crc.Append(ext);
            uint metaDataSize = BinaryPrimitives.ReadUInt32BigEndian(ext.AsSpan(IgtlHeaderLayout.MetaDataSizeOffset));
            if (metaDataSize > (uint)_options.MaxMetadataBytes)
            {
                await SkipAsync(header, left, ct).ConfigureAwait(false);
                throw new IgtlLimitExceededException(IgtlRejectReason.MetadataTooLarge, true,
                    $"{header.MessageType} '{header.DeviceName}': metadata body of {metaDataSize} bytes exceeds the limit {_options.MaxMetadataBytes}");
            }
            if (extSize > IgtlHeaderLayout.ExtendedHeaderSize)
            {
                if (extSize > left) { await SkipAsync(header, left, ct).ConfigureAwait(false); throw Bad(header, IgtlRejectReason.MalformedExtendedHeader, $"extended header size {extSize} exceeds the body"); }
                var extra = await ReadExactAsync(header, extSize - IgtlHeaderLayout.ExtendedHeaderSize, bodySize - left, ct).ConfigureAwait(false);
                crc.Append(extra);
                left -= extra.Length;
                ext = [.. ext, .. extra];
            }
            contentLength = bodySize - extSize - trailer;
            if (extSize < IgtlHeaderLayout.ExtendedHeaderSize || contentLength < ImageMessage.ImageHeaderSize)
            {
                await SkipAsync(header, left, ct).ConfigureAwait(false);
                throw Bad(header, IgtlRejectReason.MalformedExtendedHeader,
                    $"extended header ({extSize}) and metadata ({trailer}) leave {contentLength} content bytes, fewer than the {ImageMessage.ImageHeaderSize}-byte image header");
            }
        }

        // Image head: validated against the limits before the pixel buffer is rented.
        var head = await ReadExactAsync(header, ImageMessage.ImageHeaderSize, bodySize - left, ct).ConfigureAwait(false);
        left -= head.Length;
        crc.Append(head);
        ImageMessage message;
        try
        {
            message = ImageMessage.ParseHead(header, head, contentLength, _options);
        }
        catch (IgtlProtocolException)
        {
            await SkipAsync(header, left, ct).ConfigureAwait(false);
            throw;
        }

        try
        {
            int pixelBytes = (int)message.ExpectedPixelBytes;
            var rented = _pool.Rent(pixelBytes);
            message.AttachPooledPixels(_pool, rented, pixelBytes);
            var pixels = rented.AsMemory(0, pixelBytes);
            var crcOrNull = _options.VerifyCrc ? crc : null;
            if (_direct is null) await CopyIntoAsync(header, pixels, crcOrNull, bodySize - left, ct).ConfigureAwait(false);
            else await ReadDirectAsync(header, pixels, crcOrNull, bodySize - left, ct).ConfigureAwait(false);
            left -= pixelBytes;

            var trailerBytes = await ReadExactAsync(header, (int)left, bodySize - left, ct).ConfigureAwait(false);
            crc.Append(trailerBytes);
            if (_options.VerifyCrc && crc.GetCurrentHashAsUInt64() is var actual && actual != header.Crc) throw new IgtlChecksumMismatchException(header, actual);

            message.CopyHeaderFieldsFrom(header);
            if (header.Version == 2)
            {
                // The metadata parser reads the extended header and the trailer only; the pixels are not needed for it.
                var metaView = new ReadOnlySequence<byte>([.. ext, .. trailerBytes]);
                IgtlMessageParser.SplitVersion2(header, metaView, _options, out uint messageId, out var metadata);
                message.MessageId = messageId;
                foreach (var (key, value) in metadata) message.Metadata.Set(key, value.Value, value.Encoding);
            }
            return message;
        }
        catch
        {
            message.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Skips a body as it arrives, checking its CRC on the way: an unknown type comes back as an
    /// <see cref="UnknownMessage"/>, a known type over <see cref="IgtlReaderOptions.MaxNonImageBodyBytes"/> is rejected.
    /// </summary>
    private async ValueTask<IgtlMessage> SkipStreamedAsync(IgtlHeader header, CancellationToken ct)
    {
        var crc = _options.VerifyCrc ? new Crc64() : null;
        await SkipAsync(header, (long)header.BodySize, ct, crc).ConfigureAwait(false);
        if (crc is not null && crc.GetCurrentHashAsUInt64() is var actual && actual != header.Crc) throw new IgtlChecksumMismatchException(header, actual);
        if (IgtlMessageKinds.IsKnown(header.Kind)) throw NonImageTooLarge(header);
        var message = new UnknownMessage(header.MessageType, header.BodySize);
        message.CopyHeaderFieldsFrom(header);
        return message;
    }

    private bool IsOversizeNonImage(in IgtlHeader header) => header.BodySize > (ulong)_options.MaxNonImageBodyBytes;

    private IgtlLimitExceededException NonImageTooLarge(in IgtlHeader header) =>
        new(IgtlRejectReason.BodyTooLarge, true,
            $"{header.MessageType} '{header.DeviceName}': body size {header.BodySize} exceeds the limit {_options.MaxNonImageBodyBytes} for non-IMAGE messages");

    /// <summary>Reads exactly <paramref name="count"/> body bytes into a new small array.</summary>
    private async ValueTask<byte[]> ReadExactAsync(IgtlHeader header, int count, long alreadyRead, CancellationToken ct)
    {
        var bytes = new byte[count];
        await CopyIntoAsync(header, bytes, null, alreadyRead, ct).ConfigureAwait(false);
        return bytes;
    }

    /// <summary>Fills <paramref name="target"/> from the pipe, appending each copied chunk to <paramref name="crc"/> when given.</summary>
    private async ValueTask CopyIntoAsync(IgtlHeader header, Memory<byte> target, Crc64? crc, long alreadyRead, CancellationToken ct)
    {
        int filled = 0;
        while (filled < target.Length)
        {
            Arm(messageStarted: true);
            ReadResult result = await input.ReadAsync(ct).ConfigureAwait(false);
            var buffer = result.Buffer;
            long take = Math.Min(target.Length - filled, buffer.Length);
            var chunk = buffer.Slice(0, take);
            foreach (var segment in chunk)
            {
                var destination = target.Span.Slice(filled, segment.Length);
                segment.Span.CopyTo(destination);
                crc?.Append(destination);
                filled += segment.Length;
            }
            input.AdvanceTo(chunk.End);
            if (filled < target.Length && (result.IsCompleted || result.IsCanceled))
            {
                ct.ThrowIfCancellationRequested();
                throw Truncated(header, alreadyRead + filled);
            }
        }
    }

    /// <summary>
    /// Fills <paramref name="target"/> with what the pipe holds already, then straight from the stream. Safe because the
    /// pipe reads from its stream only inside <see cref="PipeReader.ReadAsync"/>, and none is pending here.
    /// </summary>
    private async ValueTask ReadDirectAsync(IgtlHeader header, Memory<byte> target, Crc64? crc, long alreadyRead, CancellationToken ct)
    {
        int filled = 0;
        if (input.TryRead(out var buffered))
        {
            var chunk = buffered.Buffer.Slice(0, Math.Min(target.Length, buffered.Buffer.Length));
            chunk.CopyTo(target.Span);
            input.AdvanceTo(chunk.End);
            crc?.Append(target.Span[..(int)chunk.Length]);
            filled = (int)chunk.Length;
        }
        while (filled < target.Length)
        {
            Arm(messageStarted: true);
            int n = await _direct!.ReadAsync(target.Slice(filled, Math.Min(DirectReadBytes, target.Length - filled)), ct).ConfigureAwait(false);
            if (n == 0) throw Truncated(header, alreadyRead + filled);
            crc?.Append(target.Span.Slice(filled, n));
            filled += n;
        }
    }

    /// <summary>Drops the rest of a rejected body so the stream stays aligned on the next message.</summary>
    private async ValueTask SkipAsync(IgtlHeader header, long count, CancellationToken ct, Crc64? crc = null)
    {
        long left = count;
        while (left > 0)
        {
            Arm(messageStarted: true);
            ReadResult result = await input.ReadAsync(ct).ConfigureAwait(false);
            long take = Math.Min(left, result.Buffer.Length);
            var chunk = result.Buffer.Slice(0, take);
            crc?.Append(chunk);
            input.AdvanceTo(chunk.End);
            left -= take;
            if (left > 0 && (result.IsCompleted || result.IsCanceled))
            {
                ct.ThrowIfCancellationRequested();
                throw Truncated(header, (long)header.BodySize - left);
            }
        }
    }

    private static IgtlMalformedMessageException Bad(in IgtlHeader header, IgtlRejectReason reason, string text) => new(header, reason, text);

    private static IgtlTruncatedMessageException Truncated(in IgtlHeader header, long got) =>
        new(IgtlRejectReason.TruncatedBody, $"{header.MessageType} '{header.DeviceName}': stream ended after {got} of {header.BodySize} body bytes");
}
