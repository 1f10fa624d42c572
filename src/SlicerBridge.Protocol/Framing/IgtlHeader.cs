using System.Buffers.Binary;
using System.Text;

namespace SlicerBridge.Protocol;

/// <summary>The 58-byte OpenIGTLink header, decoded.</summary>
public readonly record struct IgtlHeader(ushort Version, string MessageType, string DeviceName, IgtlTimestamp Timestamp, ulong BodySize, ulong Crc)
{
    /// <summary>The type field decoded once, when the header is made; every dispatch switches on this.</summary>
    public IgtlMessageKind Kind { get; } = IgtlMessageKinds.Decode(MessageType);

    /// <summary>Decodes a header from exactly 58 bytes (no validation of the version or the body size).</summary>
    public static IgtlHeader Decode(ReadOnlySpan<byte> header)
    {
        if (header.Length < IgtlHeaderLayout.Size)
            throw new ArgumentException($"An OpenIGTLink header is {IgtlHeaderLayout.Size} bytes, got {header.Length}.", nameof(header));
        return new IgtlHeader(
            BinaryPrimitives.ReadUInt16BigEndian(header[IgtlHeaderLayout.VersionOffset..]),
            FixedAscii.Read(header.Slice(IgtlHeaderLayout.TypeOffset, IgtlHeaderLayout.TypeSize)),
            FixedAscii.Read(header.Slice(IgtlHeaderLayout.DeviceNameOffset, IgtlHeaderLayout.DeviceNameSize)),
            IgtlTimestamp.FromPacked(BinaryPrimitives.ReadUInt64BigEndian(header[IgtlHeaderLayout.TimestampOffset..])),
            BinaryPrimitives.ReadUInt64BigEndian(header[IgtlHeaderLayout.BodySizeOffset..]),
            BinaryPrimitives.ReadUInt64BigEndian(header[IgtlHeaderLayout.CrcOffset..]));
    }

    /// <summary>Encodes into 58 bytes; type and device name are NUL-padded and truncated to 12 / 20 bytes.</summary>
    public void Encode(Span<byte> destination)
    {
        if (destination.Length < IgtlHeaderLayout.Size)
            throw new ArgumentException($"An OpenIGTLink header needs {IgtlHeaderLayout.Size} bytes.", nameof(destination));
        BinaryPrimitives.WriteUInt16BigEndian(destination[IgtlHeaderLayout.VersionOffset..], Version);
        FixedAscii.Write(MessageType, destination.Slice(IgtlHeaderLayout.TypeOffset, IgtlHeaderLayout.TypeSize));
        FixedAscii.Write(DeviceName, destination.Slice(IgtlHeaderLayout.DeviceNameOffset, IgtlHeaderLayout.DeviceNameSize));
        BinaryPrimitives.WriteUInt64BigEndian(destination[IgtlHeaderLayout.TimestampOffset..], Timestamp.Packed);
        BinaryPrimitives.WriteUInt64BigEndian(destination[IgtlHeaderLayout.BodySizeOffset..], BodySize);
        BinaryPrimitives.WriteUInt64BigEndian(destination[IgtlHeaderLayout.CrcOffset..], Crc);
    }
}

/// <summary>Fixed-width NUL-padded text fields (type, device name, point names, ...).</summary>
internal static class FixedAscii
{
    public static string Read(ReadOnlySpan<byte> field)
    {
        int end = field.IndexOf((byte)0);
        if (end < 0) end = field.Length;
        return Encoding.UTF8.GetString(field[..end]);
    }

    /// <summary>Writes UTF-8, truncated to the field (never splitting a character), NUL-padded.</summary>
    public static void Write(string? value, Span<byte> field)
    {
        field.Clear();
        if (string.IsNullOrEmpty(value)) return;
        Encoding.UTF8.GetEncoder().Convert(value, field, flush: true, out _, out _, out _);
    }
}
