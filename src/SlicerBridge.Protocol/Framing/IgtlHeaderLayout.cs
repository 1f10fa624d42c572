namespace SlicerBridge.Protocol;

/// <summary>Byte layout of the 58-byte OpenIGTLink header and the v2 extended header. All numbers are big-endian.</summary>
public static class IgtlHeaderLayout
{
    public const int Size = 58;

    public const int VersionOffset = 0;          // uint16
    public const int TypeOffset = 2;             // char[12], NUL-padded, not terminated when 12 long
    public const int TypeLength = 12;
    public const int DeviceNameOffset = 14;      // char[20]
    public const int DeviceNameLength = 20;
    public const int TimestampOffset = 34;       // uint64: seconds << 32 | fraction
    public const int BodySizeOffset = 42;        // uint64
    public const int CrcOffset = 50;             // uint64, CRC-64 of the whole body

    /// <summary>Extended header of header version 2 (protocol v3), at the start of the body.</summary>
    public const int ExtendedHeaderSize = 12;
    public const int ExtHeaderSizeOffset = 0;    // uint16, 12
    public const int ExtMetaHeaderSizeOffset = 2; // uint16, 2 + 8·N (includes the index count)
    public const int ExtMetaDataSizeOffset = 4;  // uint32, Σ key + value bytes
    public const int ExtMessageIdOffset = 8;     // uint32

    /// <summary>Metadata header: uint16 count, then per entry uint16 key size, uint16 encoding, uint32 value size.</summary>
    public const int MetaIndexCountSize = 2;
    public const int MetaEntrySize = 8;
}
