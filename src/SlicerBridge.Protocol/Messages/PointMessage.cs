using System.Buffers.Binary;

namespace SlicerBridge.Protocol;

/// <summary>One POINT element (136 bytes on the wire). Coordinates are RAS millimetres for Slicer.</summary>
public readonly record struct PointElement(
    string Name, string Group, byte R, byte G, byte B, byte A, float X, float Y, float Z, float Diameter = 0, string Owner = "");

/// <summary>POINT: N consecutive 136-byte elements, no count field.</summary>
public sealed class PointMessage : IgtlMessage
{
    public const string TypeName = "POINT";
    public const int ElementSize = 136;
    private const int NameLength = 64, GroupLength = 32, OwnerLength = 20;
    private const int GroupOffset = 64, ColorOffset = 96, PositionOffset = 100, DiameterOffset = 112, OwnerOffset = 116;

    public override string MessageType => TypeName;

    public List<PointElement> Points { get; } = [];

    internal override int ContentHeaderLength => checked(Points.Count * ElementSize);

    internal override void WriteContentHeader(Span<byte> destination)
    {
        for (int i = 0; i < Points.Count; i++)
        {
            var e = destination.Slice(i * ElementSize, ElementSize);
            var p = Points[i];
            // Keep names ≤ 63 bytes: the C++ unpacker overwrites byte 64 of a full-length name.
            AsciiField.Write(e[..(NameLength - 1)], p.Name);
            e[NameLength - 1] = 0;
            AsciiField.Write(e.Slice(GroupOffset, GroupLength), p.Group);
            e[ColorOffset] = p.R; e[ColorOffset + 1] = p.G; e[ColorOffset + 2] = p.B; e[ColorOffset + 3] = p.A;
            BinaryPrimitives.WriteSingleBigEndian(e[PositionOffset..], p.X);
            BinaryPrimitives.WriteSingleBigEndian(e[(PositionOffset + 4)..], p.Y);
            BinaryPrimitives.WriteSingleBigEndian(e[(PositionOffset + 8)..], p.Z);
            BinaryPrimitives.WriteSingleBigEndian(e[DiameterOffset..], p.Diameter);
            AsciiField.Write(e.Slice(OwnerOffset, OwnerLength), p.Owner);
        }
    }

    internal static PointMessage Parse(in IgtlHeader header, ReadOnlySpan<byte> content)
    {
        if (content.Length % ElementSize != 0)
            throw new IgtlMalformedMessageException(IgtlRejectReason.ContentSizeMismatch, header,
                $"content is {content.Length} bytes, not a multiple of the {ElementSize}-byte point element.");
        var message = new PointMessage();
        for (int off = 0; off < content.Length; off += ElementSize)
        {
            var e = content.Slice(off, ElementSize);
            message.Points.Add(new PointElement(
                AsciiField.Read(e[..NameLength]), AsciiField.Read(e.Slice(GroupOffset, GroupLength)),
                e[ColorOffset], e[ColorOffset + 1], e[ColorOffset + 2], e[ColorOffset + 3],
                BinaryPrimitives.ReadSingleBigEndian(e[PositionOffset..]),
                BinaryPrimitives.ReadSingleBigEndian(e[(PositionOffset + 4)..]),
                BinaryPrimitives.ReadSingleBigEndian(e[(PositionOffset + 8)..]),
                BinaryPrimitives.ReadSingleBigEndian(e[DiameterOffset..]),
                AsciiField.Read(e.Slice(OwnerOffset, OwnerLength))));
        }
        return message;
    }
}
