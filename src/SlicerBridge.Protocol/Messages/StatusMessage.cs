using System.Buffers.Binary;
using System.Text;

namespace SlicerBridge.Protocol;

/// <summary>STATUS codes (igtl_status.h).</summary>
public enum IgtlStatusCode : ushort
{
    Invalid = 0,
    Ok = 1,
    UnknownError = 2,
    Panic = 3,
    NotFound = 4,
    AccessDenied = 5,
    Busy = 6,
    TimeOut = 7,
    Overflow = 8,
    ChecksumError = 9,
    ConfigurationError = 10,
    ResourceError = 11,
    UnknownInstruction = 12,
    NotReady = 13,
    ManualMode = 14,
    Disabled = 15,
    NotPresent = 16,
    UnknownVersion = 17,
    HardwareFailure = 18,
    ShuttingDown = 19,
}

/// <summary>STATUS: uint16 code, int64 sub-code, char[20] error name, then a NUL-terminated message.</summary>
public sealed class StatusMessage : IgtlMessage
{
    public const string TypeName = "STATUS";
    private const int FixedSize = 30;
    private const int ErrorNameLength = 20;

    public override string MessageType => TypeName;

    public IgtlStatusCode Code { get; set; } = IgtlStatusCode.Ok;
    public long SubCode { get; set; }
    /// <summary>Short reason, ≤ 20 bytes on the wire.</summary>
    public string ErrorName { get; set; } = string.Empty;
    public string Message { get; set; } = string.Empty;

    internal override int ContentHeaderLength => FixedSize + Encoding.UTF8.GetByteCount(Message) + 1;

    internal override void WriteContentHeader(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt16BigEndian(destination, (ushort)Code);
        BinaryPrimitives.WriteInt64BigEndian(destination[2..], SubCode);
        AsciiField.Write(destination.Slice(10, ErrorNameLength), ErrorName);
        int n = Encoding.UTF8.GetBytes(Message, destination[FixedSize..]);
        destination[FixedSize + n] = 0;
    }

    internal static StatusMessage Parse(in IgtlHeader header, ReadOnlySpan<byte> content)
    {
        if (content.Length < FixedSize)
            throw new IgtlMalformedMessageException(IgtlRejectReason.ContentTooShort, header, $"content is {content.Length} bytes, at least {FixedSize} expected.");
        var text = content[FixedSize..];
        int nul = text.IndexOf((byte)0);
        if (nul >= 0) text = text[..nul];
        return new StatusMessage
        {
            Code = (IgtlStatusCode)BinaryPrimitives.ReadUInt16BigEndian(content),
            SubCode = BinaryPrimitives.ReadInt64BigEndian(content[2..]),
            ErrorName = AsciiField.Read(content.Slice(10, ErrorNameLength)),
            Message = Encoding.UTF8.GetString(text),
        };
    }
}
