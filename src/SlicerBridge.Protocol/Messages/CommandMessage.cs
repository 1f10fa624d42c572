using System.Text;

namespace SlicerBridge.Protocol;

/// <summary>COMMAND: uint32 id, char[128] name, uint16 encoding, uint32 length, bytes (138-byte head).</summary>
public class CommandMessage : IgtlMessage
{
    private const int NameSize = 128, FixedSize = 138;
    public override string MessageType => "COMMAND";
    public uint CommandId { get; set; }
    public string CommandName { get; set; } = "";
    public ushort Encoding { get; set; } = IgtlMetadata.EncodingUsAscii;
    public string Content { get; set; } = "";

    internal override int ContentHeadSize => FixedSize + System.Text.Encoding.UTF8.GetByteCount(Content);

    internal override void ValidateForWrite()
    {
        if (System.Text.Encoding.UTF8.GetByteCount(CommandName) > NameSize)
            throw new InvalidOperationException($"{MessageType} '{DeviceName}': command name exceeds {NameSize} bytes.");
    }

    internal override void WriteContentHead(Span<byte> destination)
    {
        var bytes = System.Text.Encoding.UTF8.GetBytes(Content);
        var w = new ContentWriter(destination);
        w.U32(CommandId); w.Fixed(CommandName, NameSize); w.U16(Encoding); w.U32((uint)bytes.Length); w.Bytes(bytes);
    }

    internal static T Parse<T>(in IgtlHeader header, ReadOnlySpan<byte> content) where T : CommandMessage, new()
    {
        var r = new ContentReader(content, header);
        var m = new T { CommandId = r.U32("COMMAND_ID"), CommandName = r.Fixed(NameSize, "COMMAND_NAME"), Encoding = r.U16("ENCODING") };
        uint length = r.U32("LENGTH");
        if (length > (uint)r.Remaining)
            throw new IgtlMalformedMessageException(header, IgtlRejectReason.InvalidLength,
                $"command length {length} exceeds the {r.Remaining} content bytes left");
        m.Content = r.Text((int)length, "COMMAND");
        return m;
    }
}

/// <summary>RTS_COMMAND: the response to a COMMAND, same layout and the same COMMAND_ID.</summary>
public sealed class RtsCommandMessage : CommandMessage
{
    public override string MessageType => "RTS_COMMAND";
}
