using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace SlicerBridge.Protocol;

/// <summary>
/// CRC-64/ECMA-182 as OpenIGTLink uses it: polynomial 0x42F0E1EBA9EA3693, MSB-first (not reflected),
/// initial value 0, no final XOR. Check value: "123456789" → 0x6C40DF5F0B497347.
/// Table-driven, slicing-by-16: sixteen tables let one step consume 16 bytes with independent lookups.
/// </summary>
public static class Crc64
{
    public const ulong Polynomial = 0x42F0E1EBA9EA3693UL;
    private const int Slices = 16;

    // Tables[k][b] = CRC contribution of byte b followed by k zero bytes.
    private static readonly ulong[] Table = BuildTables();

    private static ulong[] BuildTables()
    {
        var t = new ulong[Slices * 256];
        for (int b = 0; b < 256; b++)
        {
            ulong crc = (ulong)b << 56;
            for (int i = 0; i < 8; i++)
                crc = (crc & 0x8000000000000000UL) != 0 ? (crc << 1) ^ Polynomial : crc << 1;
            t[b] = crc;
        }
        for (int k = 1; k < Slices; k++)
            for (int b = 0; b < 256; b++)
            {
                ulong prev = t[(k - 1) * 256 + b];
                t[k * 256 + b] = t[(int)(prev >> 56)] ^ (prev << 8);
            }
        return t;
    }

    /// <summary>Continues a CRC over <paramref name="data"/> (start with 0).</summary>
    public static ulong Compute(ReadOnlySpan<byte> data, ulong crc = 0)
    {
        ref ulong table = ref MemoryMarshal.GetArrayDataReference(Table);
        ref byte p = ref MemoryMarshal.GetReference(data);
        nint n = data.Length, i = 0;
        for (; i + Slices <= n; i += Slices)
        {
            // The current CRC is folded into the first 8 bytes (big-endian), then 16 independent lookups.
            ulong a = BinaryPrimitives.ReverseEndianness(Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref p, i))) ^ crc;
            ulong b = BinaryPrimitives.ReverseEndianness(Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref p, i + 8)));
            crc = Lookup(ref table, 15, (byte)(a >> 56)) ^ Lookup(ref table, 14, (byte)(a >> 48))
                ^ Lookup(ref table, 13, (byte)(a >> 40)) ^ Lookup(ref table, 12, (byte)(a >> 32))
                ^ Lookup(ref table, 11, (byte)(a >> 24)) ^ Lookup(ref table, 10, (byte)(a >> 16))
                ^ Lookup(ref table, 9, (byte)(a >> 8)) ^ Lookup(ref table, 8, (byte)a)
                ^ Lookup(ref table, 7, (byte)(b >> 56)) ^ Lookup(ref table, 6, (byte)(b >> 48))
                ^ Lookup(ref table, 5, (byte)(b >> 40)) ^ Lookup(ref table, 4, (byte)(b >> 32))
                ^ Lookup(ref table, 3, (byte)(b >> 24)) ^ Lookup(ref table, 2, (byte)(b >> 16))
                ^ Lookup(ref table, 1, (byte)(b >> 8)) ^ Lookup(ref table, 0, (byte)b);
        }
        for (; i < n; i++)
            crc = Unsafe.Add(ref table, (int)((crc >> 56) ^ Unsafe.Add(ref p, i))) ^ (crc << 8);
        return crc;
    }

    /// <summary>CRC over a (possibly multi-segment) sequence.</summary>
    public static ulong Compute(in ReadOnlySequence<byte> data, ulong crc = 0)
    {
        if (data.IsSingleSegment) return Compute(data.FirstSpan, crc);
        foreach (var segment in data) crc = Compute(segment.Span, crc);
        return crc;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Lookup(ref ulong table, int slice, byte b) => Unsafe.Add(ref table, slice * 256 + b);
}
