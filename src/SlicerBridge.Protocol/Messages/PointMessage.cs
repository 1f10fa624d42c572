namespace SlicerBridge.Protocol;

public readonly record struct PointElement(string Name, string Group, byte R, byte G, byte B, byte A, float X, float Y, float Z, float Diameter, string Owner);

/// <summary>POINT: N elements of 136 bytes (name 64, group 32, RGBA, xyz, diameter, owner 20).</summary>
public sealed class PointMessage : IgtlMessage
{
    public const int ElementSize = 136;
    public override string MessageType => "POINT";
    public List<PointElement> Points { get; } = [];

    internal override int ContentHeadSize => Points.Count * ElementSize;

    internal override void WriteContentHead(Span<byte> destination)
    {
        var w = new ContentWriter(destination);
        foreach (var p in Points)
        {
            w.Fixed(p.Name, 64); w.Fixed(p.Group, 32);
            w.U8(p.R); w.U8(p.G); w.U8(p.B); w.U8(p.A);
            w.F32(p.X); w.F32(p.Y); w.F32(p.Z); w.F32(p.Diameter);
            w.Fixed(p.Owner, 20);
        }
    }

    internal static PointMessage Parse(in IgtlHeader header, ReadOnlySpan<byte> content)
    {
        if (content.Length % ElementSize != 0)
            throw new IgtlMalformedMessageException(header, IgtlRejectReason.InvalidLength,
                $"content is {content.Length} bytes, not a multiple of the {ElementSize}-byte point element");
        var r = new ContentReader(content, header);
        var m = new PointMessage();
        while (r.Remaining > 0)
            m.Points.Add(new PointElement(r.Fixed(64, "NAME"), r.Fixed(32, "GROUP"), r.U8("R"), r.U8("G"), r.U8("B"), r.U8("A"),
                r.F32("X"), r.F32("Y"), r.F32("Z"), r.F32("DIAMETER"), r.Fixed(20, "OWNER")));
        return m;
    }
}
