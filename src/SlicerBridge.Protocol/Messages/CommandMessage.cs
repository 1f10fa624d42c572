using System.Buffers.Binary;
using System.Text;

namespace SlicerBridge.Protocol;

/// <summary>
/// COMMAND and RTS_COMMAND (protocol v3): uint32 command id, char[128] name, uint16 encoding (IANA),
/// uint32 length, content bytes. Always sent with header version 2.
/// </summary>
public class CommandMessage : IgtlMessage
{
    public const string TypeName = "COMMAND";
    private const int FixedSize = 138;
    private const int NameLength = 128;
    private byte[] _content = [];
    private string _text = string.Empty;

    public CommandMessage() => HeaderVersion = 2;

    public override string MessageType => TypeName;

    public uint CommandId { get; set; }

    /// <summary>Command name, ≤ 128 bytes.</summary>
    public string CommandName { get; set; } = string.Empty;

    /// <summary>IANA encoding of the content: 3 US-ASCII (default), 106 UTF-8.</summary>
    public ushort Encoding { get; set; } = 3;

    /// <summary>The command text (JSON for SlicerBridge), ≤ 65535 bytes as the C++ library enforces.</summary>
    public string Content
    {
        get => _text;
        set
        {
            ArgumentNullException.ThrowIfNull(value);
            var bytes = System.Text.Encoding.UTF8.GetBytes(value);
            if (bytes.Length > ushort.MaxValue) throw new ArgumentException("COMMAND content is limited to 65535 bytes.", nameof(value));
            _content = bytes;
            _text = value;
        }
    }

    internal override int ContentHeaderLength => FixedSize + _content.Length;

    internal override void WriteContentHeader(Span<byte> destination)
    {
        if (System.Text.Encoding.UTF8.GetByteCount(CommandName) > NameLength)
            throw new InvalidOperationException($"Command name '{CommandName}' is longer than {NameLength} bytes.");
        BinaryPrimitives.WriteUInt32BigEndian(destination, CommandId);
        AsciiField.Write(destination.Slice(4, NameLength), CommandName);
        BinaryPrimitives.WriteUInt16BigEndian(destination[132..], Encoding);
        BinaryPrimitives.WriteUInt32BigEndian(destination[134..], (uint)_content.Length);
        _content.CopyTo(destination[FixedSize..]);
    }

    internal static T Parse<T>(in IgtlHeader header, ReadOnlySpan<byte> content) where T : CommandMessage, new()
    {
        if (content.Length < FixedSize)
            throw new IgtlMalformedMessageException(IgtlRejectReason.ContentTooShort, header, $"content is {content.Length} bytes, at least {FixedSize} expected.");
        uint length = BinaryPrimitives.ReadUInt32BigEndian(content[134..]);
        if (length != (uint)(content.Length - FixedSize))
            throw new IgtlMalformedMessageException(IgtlRejectReason.ContentSizeMismatch, header, $"declares {length} content bytes but holds {content.Length - FixedSize}.");
        var message = new T
        {
            CommandId = BinaryPrimitives.ReadUInt32BigEndian(content),
            CommandName = AsciiField.Read(content.Slice(4, NameLength)),
            Encoding = BinaryPrimitives.ReadUInt16BigEndian(content[132..]),
        };
        message._content = content[FixedSize..].ToArray();
        message._text = System.Text.Encoding.UTF8.GetString(message._content);
        return message;
    }
}

/// <summary>RTS_COMMAND: the answer to a COMMAND, same layout, same command id; metadata Status=SUCCESS|FAIL (+ ErrorMessage).</summary>
public sealed class RtsCommandMessage : CommandMessage
{
    public new const string TypeName = "RTS_COMMAND";
    public override string MessageType => TypeName;
}
