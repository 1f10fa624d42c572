using System.Buffers;
using System.Buffers.Binary;

namespace SlicerBridge.Protocol;

/// <summary>CRC-64/ECMA-182 as used by OpenIGTLink: polynomial 0x42F0E1EBA9EA3693, MSB-first, init 0, no final XOR.</summary>
/// <remarks>Slicing-by-8: eight 256-entry tables let one 64-bit word be folded per step instead of one byte.</remarks>
public static class Crc64
{
    public const ulong Polynomial = 0x42F0E1EBA9EA3693UL;

    private static readonly ulong[] Tables = BuildTables();

    public static ulong Compute(ReadOnlySpan<byte> data, ulong crc = 0)
    {
        ReadOnlySpan<ulong> t = Tables;
        while (data.Length >= 8)
        {
            // MSB-first: XOR the CRC into the next 8 bytes read big-endian, then look each byte up in the table for its distance.
            ulong x = crc ^ BinaryPrimitives.ReadUInt64BigEndian(data);
            crc = t[7 * 256 + (int)(x >> 56)]
                ^ t[6 * 256 + (int)((x >> 48) & 0xFF)]
                ^ t[5 * 256 + (int)((x >> 40) & 0xFF)]
                ^ t[4 * 256 + (int)((x >> 32) & 0xFF)]
                ^ t[3 * 256 + (int)((x >> 24) & 0xFF)]
                ^ t[2 * 256 + (int)((x >> 16) & 0xFF)]
                ^ t[1 * 256 + (int)((x >> 8) & 0xFF)]
                ^ t[(int)(x & 0xFF)];
            data = data[8..];
        }
        foreach (byte b in data)
            crc = t[(int)((crc >> 56) ^ b)] ^ (crc << 8);
        return crc;
    }

    public static ulong Compute(ReadOnlySequence<byte> data, ulong crc = 0)
    {
        if (data.IsSingleSegment) return Compute(data.FirstSpan, crc);
        foreach (var segment in data)
            crc = Compute(segment.Span, crc);
        return crc;
    }

    private static ulong[] BuildTables()
    {
        var t = new ulong[8 * 256];
        for (int i = 0; i < 256; i++)
        {
            ulong c = (ulong)i << 56;
            for (int bit = 0; bit < 8; bit++)
                c = (c & (1UL << 63)) != 0 ? (c << 1) ^ Polynomial : c << 1;
            t[i] = c;
        }
        // Table k maps a byte that is followed by k more bytes: shift its CRC through k zero bytes.
        for (int k = 1; k < 8; k++)
            for (int i = 0; i < 256; i++)
            {
                ulong prev = t[(k - 1) * 256 + i];
                t[k * 256 + i] = t[(int)(prev >> 56)] ^ (prev << 8);
            }
        return t;
    }
}
