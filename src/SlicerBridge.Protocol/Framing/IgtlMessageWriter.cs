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
        ArgumentNullException.ThrowIfNull(message);
        ArgumentNullException.ThrowIfNull(output);
        message.ValidateForWrite();
        bool v2 = message.HeaderVersion == 2;
        int headSize = message.ContentHeadSize;
        ReadOnlyMemory<byte> payload = message.ContentPayload;
        int metaHeaderSize = 0, metaDataSize = 0;
        byte[]? metadata = v2 ? EncodeMetadata(message, out metaHeaderSize, out metaDataSize) : null;
        int extSize = v2 ? IgtlHeaderLayout.ExtendedHeaderSize : 0;
        int prefixSize = extSize + headSize;
        ulong bodySize = (ulong)prefixSize + (ulong)payload.Length + (ulong)(metadata?.Length ?? 0);

        byte[] prefix = ArrayPool<byte>.Shared.Rent(Math.Max(prefixSize, 1));
        try
        {
            var p = prefix.AsSpan(0, prefixSize);
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

            var header = new IgtlHeader(message.HeaderVersion, message.MessageType, message.DeviceName, message.Timestamp, bodySize, crc.GetCurrentHashAsUInt64());
            header.Encode(output.GetSpan(IgtlHeaderLayout.Size));
            output.Advance(IgtlHeaderLayout.Size);
            output.Write(p);
            WriteLarge(output, payload.Span);
            if (metadata is not null) output.Write(metadata);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(prefix);
        }
    }

    public static async ValueTask WriteAsync(PipeWriter output, IgtlMessage message, CancellationToken cancellationToken = default)
    {
        Write(message, output);
        await output.FlushAsync(cancellationToken).ConfigureAwait(false);
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
