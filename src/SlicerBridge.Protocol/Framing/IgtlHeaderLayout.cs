namespace SlicerBridge.Protocol;

/// <summary>Named offsets and sizes of the 58-byte OpenIGTLink header and the 12-byte v3 extended header.</summary>
public static class IgtlHeaderLayout
{
    public const int Size = 58;
    public const int VersionOffset = 0, VersionSize = 2;
    public const int TypeOffset = 2, TypeSize = 12;
    public const int DeviceNameOffset = 14, DeviceNameSize = 20;
    public const int TimestampOffset = 34, TimestampSize = 8;
    public const int BodySizeOffset = 42, BodySizeSize = 8;
    public const int CrcOffset = 50, CrcSize = 8;

    /// <summary>Extended header (header version 2): ext size, meta header size, meta data size, message id.</summary>
    public const int ExtendedHeaderSize = 12;
    public const int ExtHeaderSizeOffset = 0, MetaHeaderSizeOffset = 2, MetaDataSizeOffset = 4, MessageIdOffset = 8;
    /// <summary>Metadata header: uint16 count, then per entry uint16 key size, uint16 encoding, uint32 value size.</summary>
    public const int MetadataCountSize = 2, MetadataEntrySize = 8;
}
