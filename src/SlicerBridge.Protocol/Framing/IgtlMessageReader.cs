using System.Buffers;
using System.IO.Pipelines;

namespace SlicerBridge.Protocol;

/// <summary>Reads messages from a <see cref="PipeReader"/>. Returns null at a clean end of stream between messages; throws
/// <see cref="IgtlProtocolException"/> on malformed input. After an exception with <see cref="IgtlProtocolException.FramingIntact"/>
/// the bad message has been consumed and reading may continue.</summary>
public sealed class IgtlMessageReader(PipeReader input, IgtlReaderOptions? options = null, ArrayPool<byte>? pixelPool = null)
{
    private readonly IgtlReaderOptions _options = options ?? IgtlReaderOptions.Default;
    private readonly ArrayPool<byte> _pool = pixelPool ?? ArrayPool<byte>.Shared;

    public async ValueTask<IgtlMessage?> ReadAsync(CancellationToken cancellationToken = default)
    {
        while (true)
        {
            ReadResult result = await input.ReadAsync(cancellationToken).ConfigureAwait(false);
            ReadOnlySequence<byte> buffer = result.Buffer;
            SequencePosition consumed = buffer.Start, examined = buffer.End;
            try
            {
                var reader = new SequenceReader<byte>(buffer);
                var frameOptions = _options with { VerifyCrc = false };
                if (IgtlFrameReader.TryReadFrame(ref reader, frameOptions, out var header, out var body))
                {
                    consumed = reader.Position;
                    examined = consumed;
                    if (_options.VerifyCrc) IgtlFrameReader.VerifyCrc(header, body);
                    return IgtlMessageParser.Parse(header, body, _options, _pool);
                }
                if (result.IsCompleted)
                {
                    if (buffer.IsEmpty) return null;
                    if (buffer.Length < IgtlHeaderLayout.Size)
                        throw new IgtlTruncatedMessageException(IgtlRejectReason.TruncatedHeader,
                            $"stream ended after {buffer.Length} of the {IgtlHeaderLayout.Size} header bytes");
                    IgtlFrameReader.TryPeekHeader(ref reader, frameOptions, out header);
                    throw new IgtlTruncatedMessageException(IgtlRejectReason.TruncatedBody,
                        $"{header.MessageType} '{header.DeviceName}': stream ended after {buffer.Length - IgtlHeaderLayout.Size} of {header.BodySize} body bytes");
                }
                if (result.IsCanceled) throw new OperationCanceledException(cancellationToken);
            }
            finally
            {
                input.AdvanceTo(consumed, examined);
            }
        }
    }
}
