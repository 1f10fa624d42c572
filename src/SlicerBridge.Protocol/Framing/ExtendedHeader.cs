using System.Buffers.Binary;

namespace SlicerBridge.Protocol;

/// <summary>The 12-byte extended header of header version 2, and where it puts content and metadata in the body.</summary>
internal readonly record struct ExtendedHeader(int ExtHeaderSize, int MetaHeaderSize, long MetaDataSize, uint MessageId, long ContentLength)
{
    public static ExtendedHeader Read(in IgtlHeader header, ReadOnlySpan<byte> body, long bodySize, IgtlReaderOptions options)
    {
        if (bodySize < IgtlHeaderLayout.ExtendedHeaderSize)
            throw new IgtlMalformedMessageException(IgtlRejectReason.BadExtendedHeader, header,
                $"header version 2 needs a {IgtlHeaderLayout.ExtendedHeaderSize}-byte extended header, body is {bodySize} bytes.");
        int ext = BinaryPrimitives.ReadUInt16BigEndian(body[IgtlHeaderLayout.ExtHeaderSizeOffset..]);
        int mh = BinaryPrimitives.ReadUInt16BigEndian(body[IgtlHeaderLayout.ExtMetaHeaderSizeOffset..]);
        long md = BinaryPrimitives.ReadUInt32BigEndian(body[IgtlHeaderLayout.ExtMetaDataSizeOffset..]);
        uint id = BinaryPrimitives.ReadUInt32BigEndian(body[IgtlHeaderLayout.ExtMessageIdOffset..]);
        if (ext < IgtlHeaderLayout.ExtendedHeaderSize)
            throw new IgtlMalformedMessageException(IgtlRejectReason.BadExtendedHeader, header, $"extended header size {ext} is below {IgtlHeaderLayout.ExtendedHeaderSize}.");
        // A v2 body without metadata still carries the 2-byte index count; some senders write 0 instead.
        if (mh != 0 && (mh < IgtlHeaderLayout.MetaIndexCountSize || (mh - IgtlHeaderLayout.MetaIndexCountSize) % IgtlHeaderLayout.MetaEntrySize != 0))
            throw new IgtlMalformedMessageException(IgtlRejectReason.BadMetadata, header, $"metadata header size {mh} is not 2 + 8·N.");
        int entries = mh == 0 ? 0 : (mh - IgtlHeaderLayout.MetaIndexCountSize) / IgtlHeaderLayout.MetaEntrySize;
        if (entries > options.MaxMetadataEntries)
            throw new IgtlLimitExceededException(IgtlRejectReason.MetadataLimitExceeded,
                $"{header.MessageType} '{header.DeviceName}': {entries} metadata entries exceed the limit of {options.MaxMetadataEntries}.", framingIntact: true, header);
        if (md > options.MaxMetadataBytes)
            throw new IgtlLimitExceededException(IgtlRejectReason.MetadataLimitExceeded,
                $"{header.MessageType} '{header.DeviceName}': {md} metadata bytes exceed the limit of {options.MaxMetadataBytes}.", framingIntact: true, header);
        long content = bodySize - ext - mh - md;
        if (content < 0)
            throw new IgtlMalformedMessageException(IgtlRejectReason.BadExtendedHeader, header,
                $"extended header ({ext}) + metadata header ({mh}) + metadata ({md}) exceed the body of {bodySize} bytes.");
        return new ExtendedHeader(ext, mh, md, id, content);
    }
}
