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
    /// <summary>A message had begun and stopped arriving for longer than the message read timeout.</summary>
    MessageTimedOut,
    /// <summary>No message began within the idle timeout.</summary>
    ConnectionIdle,
}
