namespace SlicerBridge.Protocol;

/// <summary>Why an incoming OpenIGTLink byte stream or message was rejected.</summary>
public enum IgtlRejectReason
{
    TruncatedHeader,
    TruncatedBody,
    UnsupportedHeaderVersion,
    ChecksumMismatch,
    BodyTooLarge,
    TooManyMetadataEntries,
    MetadataTooLarge,
    ImageTooLarge,
    MalformedExtendedHeader,
    MalformedMetadata,
    ContentTooShort,
    UnsupportedImageHeaderVersion,
    UnknownScalarType,
    InvalidComponentCount,
    InvalidEndianness,
    InvalidCoordinateSystem,
    InvalidSubVolume,
    ImageSizeMismatch,
    ZeroSpacing,
    NonFiniteMatrix,
    InvalidLength,
}
