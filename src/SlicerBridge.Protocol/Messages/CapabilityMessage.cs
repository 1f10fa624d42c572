namespace SlicerBridge.Protocol;

/// <summary>CAPABILITY: N × char[12] message type names.</summary>
public sealed class CapabilityMessage : IgtlMessage
{
    public const string TypeName = "CAPABILITY";
    private const int EntrySize = 12;

    public override string MessageType => TypeName;

    public List<string> Types { get; } = [];

    internal override int ContentHeaderLength => Types.Count * EntrySize;

    internal override void WriteContentHeader(Span<byte> destination)
    {
        for (int i = 0; i < Types.Count; i++) AsciiField.Write(destination.Slice(i * EntrySize, EntrySize), Types[i]);
    }

    internal static CapabilityMessage Parse(in IgtlHeader header, ReadOnlySpan<byte> content)
    {
        if (content.Length % EntrySize != 0)
            throw new IgtlMalformedMessageException(IgtlRejectReason.ContentSizeMismatch, header, $"content is {content.Length} bytes, not a multiple of {EntrySize}.");
        var message = new CapabilityMessage();
        for (int off = 0; off < content.Length; off += EntrySize) message.Types.Add(AsciiField.Read(content.Slice(off, EntrySize)));
        return message;
    }
}
