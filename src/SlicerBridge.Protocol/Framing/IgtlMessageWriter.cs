using System.Buffers;
using System.Buffers.Binary;
using System.IO.Hashing;
using System.IO.Pipelines;
using System.Text;

namespace SlicerBridge.Protocol;

/// <summary>Serialises messages: header version from the message, body CRC computed in one pass, image pixels copied
/// straight from the caller's memory into the output (no intermediate body buffer).</summary>
public static class IgtlMessageWriter
{
    public static void Write(IgtlMessage message, IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        var frame = Prepare(message);
        try
        {
            output.Write(frame.Head);
            WriteLarge(output, frame.Payload.Span);
            if (frame.Metadata is not null) output.Write(frame.Metadata);
        }
        finally { frame.Return(); }
    }

    public static async ValueTask WriteAsync(PipeWriter output, IgtlMessage message, CancellationToken cancellationToken = default)
    {
        Write(message, output);
        await output.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Writes one message straight to a stream: header and content head in one write, then the payload (image pixels)
    /// from the caller's memory without a copy, then the metadata. The CRC is computed over the payload before it is sent.
    /// </summary>
    public static async ValueTask WriteAsync(Stream output, IgtlMessage message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(output);
        var frame = Prepare(message);
        try
        {
            if (frame.Payload.Length <= CoalescedPayloadBytes)
            {
                // Small message: one write (one segment on the wire, no Nagle interplay between pieces).
                int total = frame.Head.Length + frame.Payload.Length + (frame.Metadata?.Length ?? 0);
                byte[] one = ArrayPool<byte>.Shared.Rent(total);
                try
                {
                    frame.Head.CopyTo(one);
                    frame.Payload.Span.CopyTo(one.AsSpan(frame.Head.Length));
                    frame.Metadata?.CopyTo(one.AsSpan(frame.Head.Length + frame.Payload.Length));
                    await output.WriteAsync(one.AsMemory(0, total), cancellationToken).ConfigureAwait(false);
                }
                finally { ArrayPool<byte>.Shared.Return(one); }
            }
            else
            {
                await output.WriteAsync(frame.HeadMemory, cancellationToken).ConfigureAwait(false);
                await output.WriteAsync(frame.Payload, cancellationToken).ConfigureAwait(false);
                if (frame.Metadata is not null) await output.WriteAsync(frame.Metadata, cancellationToken).ConfigureAwait(false);
            }
            await output.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
        finally { frame.Return(); }
    }

    /// <summary>
    /// Throws <see cref="InvalidOperationException"/> when <paramref name="message"/> cannot be written (a field or the
    /// metadata beyond what the format holds), as writing it would, but before anything is written. Cheap: the payload is not touched.
    /// </summary>
    public static void EnsureEncodable(IgtlMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        message.ValidateForWrite();
        if (message.HeaderVersion == 2) EncodeMetadata(message, out _, out _);
    }

    /// <summary>Payloads up to this size are copied into one buffer with the header; larger ones are written from where they lie.</summary>
    private const int CoalescedPayloadBytes = 64 * 1024;

    /// <summary>A message ready to send: header and content head in one pooled buffer, the payload by reference, the metadata.</summary>
    private readonly struct PreparedFrame(byte[] rented, int headLength, ReadOnlyMemory<byte> payload, byte[]? metadata)
    {
        public ReadOnlySpan<byte> Head => rented.AsSpan(0, headLength);
        public ReadOnlyMemory<byte> HeadMemory => rented.AsMemory(0, headLength);
        public ReadOnlyMemory<byte> Payload => payload;
        public byte[]? Metadata => metadata;
        public void Return() => ArrayPool<byte>.Shared.Return(rented);
    }

    private static PreparedFrame Prepare(IgtlMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        message.ValidateForWrite();
        bool v2 = message.HeaderVersion == 2;
        int headSize = message.ContentHeadSize;
        ReadOnlyMemory<byte> payload = message.ContentPayload;
        int metaHeaderSize = 0, metaDataSize = 0;
        byte[]? metadata = v2 ? EncodeMetadata(message, out metaHeaderSize, out metaDataSize) : null;
        int extSize = v2 ? IgtlHeaderLayout.ExtendedHeaderSize : 0;
        int prefixSize = extSize + headSize;
        ulong bodySize = (ulong)prefixSize + (ulong)payload.Length + (ulong)(metadata?.Length ?? 0);

        byte[] rented = ArrayPool<byte>.Shared.Rent(IgtlHeaderLayout.Size + prefixSize);
        try
        {
            var p = rented.AsSpan(IgtlHeaderLayout.Size, prefixSize);
            if (v2)
            {
                BinaryPrimitives.WriteUInt16BigEndian(p[IgtlHeaderLayout.ExtHeaderSizeOffset..], IgtlHeaderLayout.ExtendedHeaderSize);
                BinaryPrimitives.WriteUInt16BigEndian(p[IgtlHeaderLayout.MetaHeaderSizeOffset..], (ushort)metaHeaderSize);
                BinaryPrimitives.WriteUInt32BigEndian(p[IgtlHeaderLayout.MetaDataSizeOffset..], (uint)metaDataSize);
                BinaryPrimitives.WriteUInt32BigEndian(p[IgtlHeaderLayout.MessageIdOffset..], message.MessageId);
            }
            message.WriteContentHead(p[extSize..]);

            var crc = new Crc64();
            crc.Append(p);
            crc.Append(payload.Span);
            if (metadata is not null) crc.Append(metadata);

            new IgtlHeader(message.HeaderVersion, message.MessageType, message.DeviceName, message.Timestamp, bodySize, crc.GetCurrentHashAsUInt64())
                .Encode(rented);
            return new PreparedFrame(rented, IgtlHeaderLayout.Size + prefixSize, payload, metadata);
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(rented);
            throw;
        }
    }

    public static byte[] ToArray(IgtlMessage message)
    {
        var buffer = new ArrayBufferWriter<byte>();
        Write(message, buffer);
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Copies in chunks the output is willing to hand out, so a pipe never has to allocate one huge segment.</summary>
    private static void WriteLarge(IBufferWriter<byte> output, ReadOnlySpan<byte> data)
    {
        while (!data.IsEmpty)
        {
            var span = output.GetSpan(Math.Min(data.Length, 1 << 20));
            int n = Math.Min(span.Length, data.Length);
            data[..n].CopyTo(span);
            output.Advance(n);
            data = data[n..];
        }
    }

    /// <summary>Metadata header (count + entries) followed by the key/value bytes, keys in ordinal order.</summary>
    private static byte[] EncodeMetadata(IgtlMessage message, out int metaHeaderSize, out int metaDataSize)
    {
        var entries = message.Metadata.Select(kv => (Key: Encoding.UTF8.GetBytes(kv.Key), Value: Encoding.UTF8.GetBytes(kv.Value.Value), kv.Value.Encoding)).ToList();
        if (entries.Count > ushort.MaxValue) throw new InvalidOperationException($"{message}: {entries.Count} metadata entries exceed 65535.");
        metaHeaderSize = IgtlHeaderLayout.MetadataCountSize + entries.Count * IgtlHeaderLayout.MetadataEntrySize;
        metaDataSize = entries.Sum(e => e.Key.Length + e.Value.Length);
        if (metaDataSize > ushort.MaxValue)
            throw new InvalidOperationException($"{message}: metadata of {metaDataSize} bytes exceeds 65535 (the C++ library rejects it).");
        var bytes = new byte[metaHeaderSize + metaDataSize];
        var w = new ContentWriter(bytes);
        w.U16((ushort)entries.Count);
        foreach (var e in entries)
        {
            if (e.Key.Length > ushort.MaxValue) throw new InvalidOperationException($"{message}: metadata key longer than 65535 bytes.");
            w.U16((ushort)e.Key.Length); w.U16(e.Encoding); w.U32((uint)e.Value.Length);
        }
        foreach (var e in entries) { w.Bytes(e.Key); w.Bytes(e.Value); }
        return bytes;
    }
}
