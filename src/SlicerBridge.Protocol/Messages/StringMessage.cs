using System.Buffers.Binary;
using System.Text;

namespace SlicerBridge.Protocol;

/// <summary>STRING: uint16 encoding (IANA MIBenum), uint16 length, bytes (≤ 65535, no NUL).</summary>
public sealed class StringMessage : IgtlMessage
{
    public const string TypeName = "STRING";
    private const int FixedSize = 4;
    private byte[] _bytes = [];
    private string _value = string.Empty;

    public override string MessageType => TypeName;

    /// <summary>IANA encoding written on the wire; 3 (US-ASCII) by default. Received text is always decoded as UTF-8,
    /// because Slicer puts a VTK encoding id here.</summary>
    public ushort Encoding { get; set; } = 3;

    public string Value
    {
        get => _value;
        set
        {
            ArgumentNullException.ThrowIfNull(value);
            var bytes = System.Text.Encoding.UTF8.GetBytes(value);
            if (bytes.Length > ushort.MaxValue) throw new ArgumentException("STRING content is limited to 65535 bytes.", nameof(value));
            _bytes = bytes;
            _value = value;
        }
    }

    internal override int ContentHeaderLength => FixedSize + _bytes.Length;

    internal override void WriteContentHeader(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt16BigEndian(destination, Encoding);
        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], (ushort)_bytes.Length);
        _bytes.CopyTo(destination[FixedSize..]);
    }

    internal static StringMessage Parse(in IgtlHeader header, ReadOnlySpan<byte> content)
    {
        if (content.Length < FixedSize)
            throw new IgtlMalformedMessageException(IgtlRejectReason.ContentTooShort, header, $"content is {content.Length} bytes, at least {FixedSize} expected.");
        int length = BinaryPrimitives.ReadUInt16BigEndian(content[2..]);
        if (content.Length != FixedSize + length)
            throw new IgtlMalformedMessageException(IgtlRejectReason.ContentSizeMismatch, header, $"declares {length} text bytes but content holds {content.Length - FixedSize}.");
        var message = new StringMessage { Encoding = BinaryPrimitives.ReadUInt16BigEndian(content) };
        message._bytes = content[FixedSize..].ToArray();
        message._value = System.Text.Encoding.UTF8.GetString(message._bytes);
        return message;
    }
}
