using System.Text;

namespace SlicerBridge.Protocol;

/// <summary>STRING: uint16 encoding (IANA), uint16 length, bytes. Decoded leniently as UTF-8; sent as encoding 3 by default.</summary>
public sealed class StringMessage : IgtlMessage
{
    public const int MaxBytes = 65535;
    public override string MessageType => "STRING";
    public ushort Encoding { get; set; } = IgtlMetadata.EncodingUsAscii;
    public string Value { get; set; } = "";

    internal override int ContentHeadSize => 4 + System.Text.Encoding.UTF8.GetByteCount(Value);

    internal override void ValidateForWrite()
    {
        if (System.Text.Encoding.UTF8.GetByteCount(Value) > MaxBytes)
            throw new InvalidOperationException($"STRING '{DeviceName}': value exceeds {MaxBytes} bytes.");
    }

    internal override void WriteContentHead(Span<byte> destination)
    {
        var bytes = System.Text.Encoding.UTF8.GetBytes(Value);
        var w = new ContentWriter(destination);
        w.U16(Encoding); w.U16((ushort)bytes.Length); w.Bytes(bytes);
    }

    internal static StringMessage Parse(in IgtlHeader header, ReadOnlySpan<byte> content)
    {
        var r = new ContentReader(content, header);
        var m = new StringMessage { Encoding = r.U16("ENCODING") };
        int length = r.U16("LENGTH");
        m.Value = r.Text(length, "string bytes");
        return m;
    }
}
