using System.Buffers.Binary;
using System.Text;

namespace SlicerBridge.Protocol;

/// <summary>Reads and writes the v2 metadata header (count + entries) and body (keys and values back to back).</summary>
internal static class MetadataCodec
{
    public static void Read(in IgtlHeader header, ReadOnlySpan<byte> metaHeader, ReadOnlySpan<byte> metaBody, IgtlMetadata into)
    {
        if (metaHeader.Length == 0)
        {
            if (metaBody.Length != 0)
                throw new IgtlMalformedMessageException(IgtlRejectReason.BadMetadata, header, "metadata bytes without a metadata header.");
            return;
        }
        int count = BinaryPrimitives.ReadUInt16BigEndian(metaHeader);
        if (IgtlHeaderLayout.MetaIndexCountSize + count * IgtlHeaderLayout.MetaEntrySize != metaHeader.Length)
            throw new IgtlMalformedMessageException(IgtlRejectReason.BadMetadata, header,
                $"metadata index count {count} does not match the metadata header size {metaHeader.Length}.");
        long offset = 0;
        for (int i = 0; i < count; i++)
        {
            var entry = metaHeader.Slice(IgtlHeaderLayout.MetaIndexCountSize + i * IgtlHeaderLayout.MetaEntrySize, IgtlHeaderLayout.MetaEntrySize);
            int keySize = BinaryPrimitives.ReadUInt16BigEndian(entry);
            ushort encoding = BinaryPrimitives.ReadUInt16BigEndian(entry[2..]);
            long valueSize = BinaryPrimitives.ReadUInt32BigEndian(entry[4..]);
            if (keySize == 0 || offset + keySize + valueSize > metaBody.Length)
                throw new IgtlMalformedMessageException(IgtlRejectReason.BadMetadata, header,
                    $"metadata entry {i} (key {keySize} bytes, value {valueSize} bytes) overflows the {metaBody.Length}-byte metadata body.");
            string key = Encoding.UTF8.GetString(metaBody.Slice((int)offset, keySize));
            string value = Encoding.UTF8.GetString(metaBody.Slice((int)offset + keySize, (int)valueSize));
            into.Set(key, value, encoding);
            offset += keySize + valueSize;
        }
        if (offset != metaBody.Length)
            throw new IgtlMalformedMessageException(IgtlRejectReason.BadMetadata, header,
                $"metadata entries use {offset} bytes but the metadata body is {metaBody.Length}.");
    }

    /// <summary>Encodes metadata as header (count + entries) and body, for header version 2.</summary>
    public static (byte[] Header, byte[] Body) Encode(IgtlMetadata metadata)
    {
        int count = metadata.Count;
        if (count > ushort.MaxValue) throw new InvalidOperationException("More than 65535 metadata entries.");
        var header = new byte[IgtlHeaderLayout.MetaIndexCountSize + count * IgtlHeaderLayout.MetaEntrySize];
        BinaryPrimitives.WriteUInt16BigEndian(header, (ushort)count);
        using var body = new MemoryStream();
        int i = 0;
        foreach (var (key, value) in metadata.Entries)
        {
            var k = Encoding.UTF8.GetBytes(key);
            var v = Encoding.UTF8.GetBytes(value.Value);
            var entry = header.AsSpan(IgtlHeaderLayout.MetaIndexCountSize + i++ * IgtlHeaderLayout.MetaEntrySize);
            BinaryPrimitives.WriteUInt16BigEndian(entry, (ushort)k.Length);
            BinaryPrimitives.WriteUInt16BigEndian(entry[2..], value.Encoding);
            BinaryPrimitives.WriteUInt32BigEndian(entry[4..], (uint)v.Length);
            body.Write(k);
            body.Write(v);
        }
        if (body.Length > ushort.MaxValue)
            throw new InvalidOperationException($"Metadata of {body.Length} bytes: the C++ library rejects more than 65535.");
        return (header, body.ToArray());
    }
}
