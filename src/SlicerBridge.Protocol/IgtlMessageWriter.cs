using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;

namespace SlicerBridge.Protocol;

/// <summary>
/// Writes messages: header, (v2) extended header, content, (v2) metadata. The body's CRC-64 is computed in one
/// pass over its parts before the header is written; bulk content (IMAGE pixels) is read from the caller's
/// memory straight into the output, never staged in a temporary body buffer.
/// </summary>
public static class IgtlMessageWriter
{
    private const int ChunkSize = 1 << 20;

    /// <summary>Writes one message into <paramref name="output"/>.</summary>
    public static void Write(IgtlMessage message, IBufferWriter<byte> output)
    {
        using var frame = Frame.Build(message);
        frame.WriteHead(output);
        WriteBytes(output, frame.Tail.Span);
        WriteBytes(output, frame.MetaBody);
    }

    /// <summary>Writes one message and flushes; large bulk content is flushed in 1 MiB chunks to bound buffering.</summary>
    public static async ValueTask WriteAsync(PipeWriter output, IgtlMessage message, CancellationToken cancellationToken = default)
    {
        using var frame = Frame.Build(message);
        frame.WriteHead(output);
        var tail = frame.Tail;
        while (tail.Length > ChunkSize)
        {
            var result = await output.WriteAsync(tail[..ChunkSize], cancellationToken).ConfigureAwait(false);
            if (result.IsCanceled || result.IsCompleted) throw new OperationCanceledException("The connection stopped accepting data.");
            tail = tail[ChunkSize..];
        }
        WriteBytes(output, tail.Span);
        WriteBytes(output, frame.MetaBody);
        var flush = await output.FlushAsync(cancellationToken).ConfigureAwait(false);
        if (flush.IsCanceled) throw new OperationCanceledException("The write was cancelled.");
    }

    /// <summary>The whole message as a new array (tests, small messages).</summary>
    public static byte[] ToArray(IgtlMessage message)
    {
        var buffer = new ArrayBufferWriter<byte>();
        Write(message, buffer);
        return buffer.WrittenSpan.ToArray();
    }

    private static void WriteBytes(IBufferWriter<byte> output, ReadOnlySpan<byte> data)
    {
        while (!data.IsEmpty)
        {
            var span = output.GetSpan(Math.Min(data.Length, ChunkSize));
            int n = Math.Min(span.Length, data.Length);
            data[..n].CopyTo(span);
            output.Advance(n);
            data = data[n..];
        }
    }

    /// <summary>A message laid out for writing: the small head (header + ext header + content header + metadata header) and the rest.</summary>
    private sealed class Frame : IDisposable
    {
        private byte[] _head = [];
        private int _headLength;
        public ReadOnlyMemory<byte> Tail { get; private set; }
        public byte[] MetaBody { get; private set; } = [];

        public static Frame Build(IgtlMessage message)
        {
            int contentHeader = message.ContentHeaderLength;
            var tail = message.ContentTail;
            bool v2 = message.HeaderVersion == 2;
            byte[] metaHeader = [], metaBody = [];
            if (v2) (metaHeader, metaBody) = MetadataCodec.Encode(message.Metadata);
            int ext = v2 ? IgtlHeaderLayout.ExtendedHeaderSize : 0;
            long bodySize = (long)ext + contentHeader + tail.Length + metaHeader.Length + metaBody.Length;

            // The metadata header follows the bulk tail on the wire, so it is written with it; the head holds
            // header + ext header + content header, and the metadata header is prepended to MetaBody.
            var frame = new Frame { Tail = tail };
            frame._headLength = IgtlHeaderLayout.Size + ext + contentHeader;
            frame._head = ArrayPool<byte>.Shared.Rent(frame._headLength);
            var head = frame._head.AsSpan(0, frame._headLength);
            var body = head[IgtlHeaderLayout.Size..];
            if (v2)
            {
                BinaryPrimitives.WriteUInt16BigEndian(body[IgtlHeaderLayout.ExtHeaderSizeOffset..], IgtlHeaderLayout.ExtendedHeaderSize);
                BinaryPrimitives.WriteUInt16BigEndian(body[IgtlHeaderLayout.ExtMetaHeaderSizeOffset..], (ushort)metaHeader.Length);
                BinaryPrimitives.WriteUInt32BigEndian(body[IgtlHeaderLayout.ExtMetaDataSizeOffset..], (uint)metaBody.Length);
                BinaryPrimitives.WriteUInt32BigEndian(body[IgtlHeaderLayout.ExtMessageIdOffset..], message.MessageId);
            }
            message.WriteContentHeader(body.Slice(ext, contentHeader));
            var meta = new byte[metaHeader.Length + metaBody.Length];
            metaHeader.CopyTo(meta, 0);
            metaBody.CopyTo(meta, metaHeader.Length);
            frame.MetaBody = meta;

            ulong crc = Crc64.Compute(body);
            crc = Crc64.Compute(tail.Span, crc);
            crc = Crc64.Compute(meta, crc);
            new IgtlHeader(message.HeaderVersion, message.MessageType, message.DeviceName, message.Timestamp, (ulong)bodySize, crc).Write(head);
            return frame;
        }

        public void WriteHead(IBufferWriter<byte> output)
        {
            var span = output.GetSpan(_headLength);
            _head.AsSpan(0, _headLength).CopyTo(span);
            output.Advance(_headLength);
        }

        public void Dispose()
        {
            if (_head.Length > 0) ArrayPool<byte>.Shared.Return(_head);
            _head = [];
        }
    }
}
