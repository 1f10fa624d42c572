using System.Buffers.Binary;
using SlicerBridge.Protocol;

namespace SlicerBridge.Host.Tests.Support;

/// <summary>IMAGE bytes the protocol library refuses to write: a valid header-v1 message patched on the wire, CRC recomputed.</summary>
internal static class RawImages
{
    private const int Body = IgtlHeaderLayout.Size;
    private const int ScalarTypeOffset = 3, SizeOffset = 6, SubSizeOffset = 66, ImageHeadSize = 72;

    /// <summary>A 4x4x4 volume whose scalar type byte is <paramref name="code"/>.</summary>
    public static byte[] WithScalarType(string name, byte code)
    {
        var image = new ImageMessage(name, IgtlScalarType.UInt8, 1, 4, 4, 4, new byte[64]) { HeaderVersion = 1 };
        image.SetIjkToRas(TestImages.Identity);
        byte[] bytes = IgtlMessageWriter.ToArray(image);
        bytes[Body + ScalarTypeOffset] = code;
        return Reseal(bytes);
    }

    /// <summary>An IMAGE whose sizes (and sub-volume sizes) are 0x0x0, with no pixels.</summary>
    public static byte[] ZeroSized(string name)
    {
        var image = new ImageMessage(name, IgtlScalarType.UInt8, 1, 1, 1, 1, new byte[1]) { HeaderVersion = 1 };
        image.SetIjkToRas(TestImages.Identity);
        byte[] bytes = IgtlMessageWriter.ToArray(image)[..(Body + ImageHeadSize)]; // drop the one pixel byte
        bytes.AsSpan(Body + SizeOffset, 6).Clear();
        bytes.AsSpan(Body + SubSizeOffset, 6).Clear();
        BinaryPrimitives.WriteUInt64BigEndian(bytes.AsSpan(IgtlHeaderLayout.BodySizeOffset), ImageHeadSize);
        return Reseal(bytes);
    }

    /// <summary>
    /// The header and image head of an int16 IMAGE of <paramref name="sx"/>×<paramref name="sy"/>×<paramref name="sz"/>
    /// voxels, without its pixels: what a client that stalls in the pixels has sent (the CRC is never reached).
    /// </summary>
    public static byte[] HeadOfInt16(string name, ushort sx, ushort sy, ushort sz)
    {
        var image = new ImageMessage(name, IgtlScalarType.Int16, 1, 1, 1, 1, new byte[2]) { HeaderVersion = 1 };
        image.SetIjkToRas(TestImages.Identity);
        byte[] bytes = IgtlMessageWriter.ToArray(image)[..(Body + ImageHeadSize)];
        foreach (int at in new[] { SizeOffset, SubSizeOffset })
        {
            BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(Body + at), sx);
            BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(Body + at + 2), sy);
            BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(Body + at + 4), sz);
        }
        BinaryPrimitives.WriteUInt64BigEndian(bytes.AsSpan(IgtlHeaderLayout.BodySizeOffset), ImageHeadSize + 2UL * sx * sy * sz);
        return bytes;
    }

    private static byte[] Reseal(byte[] bytes)
    {
        BinaryPrimitives.WriteUInt64BigEndian(bytes.AsSpan(IgtlHeaderLayout.CrcOffset), IgtlCrc.Compute(bytes.AsSpan(Body)));
        return bytes;
    }
}
