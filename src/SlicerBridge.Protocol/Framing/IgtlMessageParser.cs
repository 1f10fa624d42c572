using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace SlicerBridge.Protocol;

/// <summary>Turns a framed body into a message: splits the v3 extended header / content / metadata, then dispatches on type.</summary>
public static class IgtlMessageParser
{
    public static IgtlMessage Parse(in IgtlHeader header, ReadOnlySequence<byte> body, IgtlReaderOptions options, ArrayPool<byte>? pool = null)
    {
        pool ??= ArrayPool<byte>.Shared;
        if ((ulong)body.Length != header.BodySize)
            throw new IgtlMalformedMessageException(header, IgtlRejectReason.InvalidLength, $"body has {body.Length} bytes, header says {header.BodySize}");
        var content = body;
        uint messageId = 0;
        List<(string Key, IgtlMetadataValue Value)>? metadata = null;
        if (header.Version == 2)
            content = SplitVersion2(header, body, options, out messageId, out metadata);

        IgtlMessage message = ParseContent(header, content, options, pool);
        message.CopyHeaderFieldsFrom(header);
        message.MessageId = messageId;
        if (metadata is not null)
            foreach (var (key, value) in metadata) message.Metadata.Set(key, value.Value, value.Encoding);
        return message;
    }

    private static IgtlMessage ParseContent(in IgtlHeader header, ReadOnlySequence<byte> content, IgtlReaderOptions options, ArrayPool<byte> pool)
    {
        var kind = header.Kind;
        if (kind == IgtlMessageKind.Image) return ImageMessage.Parse(header, content, options, pool);
        if (kind == IgtlMessageKind.Unknown) return new UnknownMessage(header.MessageType, header.BodySize);
        // Every other known type is small: decode from one contiguous copy.
        byte[] bytes = content.ToArray();
        return kind switch
        {
            IgtlMessageKind.Point => PointMessage.Parse(header, bytes),
            IgtlMessageKind.Transform => TransformMessage.Parse(header, bytes),
            IgtlMessageKind.String => StringMessage.Parse(header, bytes),
            IgtlMessageKind.Status => StatusMessage.Parse(header, bytes),
            IgtlMessageKind.Command => CommandMessage.Parse<CommandMessage>(header, bytes),
            IgtlMessageKind.RtsCommand => CommandMessage.Parse<RtsCommandMessage>(header, bytes),
            IgtlMessageKind.Capability => CapabilityMessage.Parse(header, bytes),
            IgtlMessageKind.GetStatus or IgtlMessageKind.GetCapability or IgtlMessageKind.OtherQuery => new QueryMessage(header.MessageType) { Content = bytes },
            _ => new RtsMessage(header.MessageType) { Content = bytes },
        };
    }

    internal static ReadOnlySequence<byte> SplitVersion2(in IgtlHeader header, ReadOnlySequence<byte> body, IgtlReaderOptions options,
        out uint messageId, out List<(string, IgtlMetadataValue)> metadata)
    {
        var h = header;
        IgtlMalformedMessageException Bad(IgtlRejectReason reason, string text) => new(h, reason, text);
        if (body.Length < IgtlHeaderLayout.ExtendedHeaderSize)
            throw Bad(IgtlRejectReason.MalformedExtendedHeader, $"header version 2 body is {body.Length} bytes, shorter than the 12-byte extended header");
        Span<byte> ext = stackalloc byte[IgtlHeaderLayout.ExtendedHeaderSize];
        body.Slice(0, ext.Length).CopyTo(ext);
        int extSize = BinaryPrimitives.ReadUInt16BigEndian(ext[IgtlHeaderLayout.ExtHeaderSizeOffset..]);
        int metaHeaderSize = BinaryPrimitives.ReadUInt16BigEndian(ext[IgtlHeaderLayout.MetaHeaderSizeOffset..]);
        uint metaDataSize = BinaryPrimitives.ReadUInt32BigEndian(ext[IgtlHeaderLayout.MetaDataSizeOffset..]);
        messageId = BinaryPrimitives.ReadUInt32BigEndian(ext[IgtlHeaderLayout.MessageIdOffset..]);
        metadata = [];
        if (extSize < IgtlHeaderLayout.ExtendedHeaderSize)
            throw Bad(IgtlRejectReason.MalformedExtendedHeader, $"extended header size {extSize}, must be at least 12");
        if (metaDataSize > (uint)options.MaxMetadataBytes)
            throw new IgtlLimitExceededException(IgtlRejectReason.MetadataTooLarge, true,
                $"{header.MessageType} '{header.DeviceName}': metadata body of {metaDataSize} bytes exceeds the limit {options.MaxMetadataBytes}");
        long trailer = (long)metaHeaderSize + metaDataSize;
        if (extSize + trailer > body.Length)
            throw Bad(IgtlRejectReason.MalformedMetadata,
                $"extended header ({extSize}) + metadata header ({metaHeaderSize}) + metadata ({metaDataSize}) exceed the {body.Length}-byte body");
        var content = body.Slice(extSize, body.Length - extSize - trailer);
        if (metaHeaderSize == 0)
        {
            if (metaDataSize != 0) throw Bad(IgtlRejectReason.MalformedMetadata, $"metadata of {metaDataSize} bytes without a metadata header");
            return content;
        }
        if (metaHeaderSize < IgtlHeaderLayout.MetadataCountSize || (metaHeaderSize - IgtlHeaderLayout.MetadataCountSize) % IgtlHeaderLayout.MetadataEntrySize != 0)
            throw Bad(IgtlRejectReason.MalformedMetadata, $"metadata header size {metaHeaderSize} is not 2 + 8·N");
        int declaredEntries = (metaHeaderSize - IgtlHeaderLayout.MetadataCountSize) / IgtlHeaderLayout.MetadataEntrySize;
        if (declaredEntries > options.MaxMetadataEntries)
            throw new IgtlLimitExceededException(IgtlRejectReason.TooManyMetadataEntries, true,
                $"{header.MessageType} '{header.DeviceName}': {declaredEntries} metadata entries exceed the limit {options.MaxMetadataEntries}");
        byte[] trailerBytes = body.Slice(body.Length - trailer).ToArray();
        var index = trailerBytes.AsSpan(0, metaHeaderSize);
        int count = BinaryPrimitives.ReadUInt16BigEndian(index);
        if (count != declaredEntries)
            throw Bad(IgtlRejectReason.MalformedMetadata, $"metadata count {count} does not match the header size {metaHeaderSize} ({declaredEntries} entries)");
        var values = trailerBytes.AsSpan(metaHeaderSize);
        long sum = 0;
        for (int e = 0; e < count; e++)
        {
            var entry = index.Slice(IgtlHeaderLayout.MetadataCountSize + e * IgtlHeaderLayout.MetadataEntrySize);
            int keySize = BinaryPrimitives.ReadUInt16BigEndian(entry);
            ushort encoding = BinaryPrimitives.ReadUInt16BigEndian(entry[2..]);
            uint valueSize = BinaryPrimitives.ReadUInt32BigEndian(entry[4..]);
            if (keySize == 0) throw Bad(IgtlRejectReason.MalformedMetadata, $"metadata entry {e} has an empty key");
            sum += keySize + (long)valueSize;
            if (sum > metaDataSize)
                throw Bad(IgtlRejectReason.MalformedMetadata, $"metadata entry {e} (key {keySize} + value {valueSize} bytes) overflows the {metaDataSize}-byte metadata body");
            int start = (int)(sum - keySize - valueSize);
            string key = Encoding.UTF8.GetString(values.Slice(start, keySize));
            string value = Encoding.UTF8.GetString(values.Slice(start + keySize, (int)valueSize));
            metadata.Add((key, new IgtlMetadataValue(value, encoding)));
        }
        if (sum != metaDataSize)
            throw Bad(IgtlRejectReason.MalformedMetadata, $"metadata entries total {sum} bytes, metadata size says {metaDataSize}");
        return content;
    }
}
