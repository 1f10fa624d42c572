using System.Text;

namespace SlicerBridge.Protocol;

public enum IgtlStatusCode : ushort
{
    Ok = 1, UnknownError = 2, Panic = 3, NotFound = 4, AccessDenied = 5, Busy = 6, TimeOut = 7, Overflow = 8,
    ChecksumError = 9, ConfigurationError = 10, ResourceError = 11, UnknownInstruction = 12, NotReady = 13,
    ManualMode = 14, Disabled = 15, NotPresent = 16, UnknownVersion = 17, HardwareFailure = 18, ShuttingDown = 19,
}

/// <summary>STATUS: uint16 code, int64 sub code, char[20] error name, NUL-terminated message (30-byte head).</summary>
public sealed class StatusMessage : IgtlMessage
{
    private const int FixedSize = 30, ErrorNameSize = 20;
    public override string MessageType => "STATUS";
    public IgtlStatusCode Code { get; set; } = IgtlStatusCode.Ok;
    public long SubCode { get; set; }
    public string ErrorName { get; set; } = "";
    public string Message { get; set; } = "";

    internal override int ContentHeadSize => FixedSize + Encoding.UTF8.GetByteCount(Message) + 1;

    internal override void WriteContentHead(Span<byte> destination)
    {
        var w = new ContentWriter(destination);
        w.U16((ushort)Code); w.I64(SubCode); w.Fixed(ErrorName, ErrorNameSize);
        w.Bytes(Encoding.UTF8.GetBytes(Message)); w.U8(0);
    }

    internal static StatusMessage Parse(in IgtlHeader header, ReadOnlySpan<byte> content)
    {
        var r = new ContentReader(content, header);
        var m = new StatusMessage
        {
            Code = (IgtlStatusCode)r.U16("C"),
            SubCode = r.I64("SUB_CODE"),
            ErrorName = r.Fixed(ErrorNameSize, "ERROR_NAME"),
        };
        var text = r.Take(r.Remaining, "MESSAGE");
        int nul = text.IndexOf((byte)0);
        m.Message = Encoding.UTF8.GetString(nul >= 0 ? text[..nul] : text);
        return m;
    }
}
