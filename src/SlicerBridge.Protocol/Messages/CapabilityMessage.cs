namespace SlicerBridge.Protocol;

/// <summary>CAPABILITY: N x char[12] type names.</summary>
public sealed class CapabilityMessage : IgtlMessage
{
    private const int NameSize = 12;
    public override string MessageType => "CAPABILITY";
    public List<string> Types { get; } = [];

    internal override int ContentHeadSize => Types.Count * NameSize;

    internal override void WriteContentHead(Span<byte> destination)
    {
        var w = new ContentWriter(destination);
        foreach (var t in Types) w.Fixed(t, NameSize);
    }

    internal static CapabilityMessage Parse(in IgtlHeader header, ReadOnlySpan<byte> content)
    {
        if (content.Length % NameSize != 0)
            throw new IgtlMalformedMessageException(header, IgtlRejectReason.InvalidLength,
                $"content is {content.Length} bytes, not a multiple of {NameSize}");
        var r = new ContentReader(content, header);
        var m = new CapabilityMessage();
        while (r.Remaining > 0) m.Types.Add(r.Fixed(NameSize, "TYPE"));
        return m;
    }
}
