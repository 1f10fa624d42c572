using System.Buffers.Binary;
using System.Text;

namespace SlicerBridge.Protocol;

/// <summary>The 58-byte OpenIGTLink header.</summary>
public readonly record struct IgtlHeader(ushort Version, string MessageType, string DeviceName, IgtlTimestamp Timestamp, ulong BodySize, ulong Crc)
{
    /// <summary>Parses a header from exactly 58 bytes (no validation of limits; see <see cref="IgtlFrameReader"/>).</summary>
    public static IgtlHeader Read(ReadOnlySpan<byte> source)
    {
        if (source.Length < IgtlHeaderLayout.Size)
            throw new ArgumentException($"An OpenIGTLink header is {IgtlHeaderLayout.Size} bytes, got {source.Length}.");
        return new IgtlHeader(
            BinaryPrimitives.ReadUInt16BigEndian(source[IgtlHeaderLayout.VersionOffset..]),
            AsciiField.Read(source.Slice(IgtlHeaderLayout.TypeOffset, IgtlHeaderLayout.TypeLength)),
            AsciiField.Read(source.Slice(IgtlHeaderLayout.DeviceNameOffset, IgtlHeaderLayout.DeviceNameLength)),
            IgtlTimestamp.FromPacked(BinaryPrimitives.ReadUInt64BigEndian(source[IgtlHeaderLayout.TimestampOffset..])),
            BinaryPrimitives.ReadUInt64BigEndian(source[IgtlHeaderLayout.BodySizeOffset..]),
            BinaryPrimitives.ReadUInt64BigEndian(source[IgtlHeaderLayout.CrcOffset..]));
    }

    /// <summary>Writes the 58 bytes. Type and device name are NUL-padded and truncated to 12 and 20 bytes.</summary>
    public void Write(Span<byte> destination)
    {
        destination = destination[..IgtlHeaderLayout.Size];
        BinaryPrimitives.WriteUInt16BigEndian(destination[IgtlHeaderLayout.VersionOffset..], Version);
        AsciiField.Write(destination.Slice(IgtlHeaderLayout.TypeOffset, IgtlHeaderLayout.TypeLength), MessageType);
        AsciiField.Write(destination.Slice(IgtlHeaderLayout.DeviceNameOffset, IgtlHeaderLayout.DeviceNameLength), DeviceName);
        BinaryPrimitives.WriteUInt64BigEndian(destination[IgtlHeaderLayout.TimestampOffset..], Timestamp.Packed);
        BinaryPrimitives.WriteUInt64BigEndian(destination[IgtlHeaderLayout.BodySizeOffset..], BodySize);
        BinaryPrimitives.WriteUInt64BigEndian(destination[IgtlHeaderLayout.CrcOffset..], Crc);
    }
}

/// <summary>Fixed-width, NUL-padded text fields (type, device name, point name, …).</summary>
internal static class AsciiField
{
    /// <summary>Reads up to the first NUL (or the whole field). Non-ASCII bytes are decoded as UTF-8.</summary>
    public static string Read(ReadOnlySpan<byte> field)
    {
        int end = field.IndexOf((byte)0);
        if (end < 0) end = field.Length;
        return end == 0 ? string.Empty : Encoding.UTF8.GetString(field[..end]);
    }

    /// <summary>Writes UTF-8, truncated to the field at a character boundary, NUL-padded.</summary>
    public static void Write(Span<byte> field, string value)
    {
        field.Clear();
        if (string.IsNullOrEmpty(value)) return;
        Encoding.UTF8.GetEncoder().Convert(value, field, flush: true, out _, out _, out _);
    }
}
