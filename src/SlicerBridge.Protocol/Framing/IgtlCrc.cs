using System.Buffers;
using System.IO.Hashing;

namespace SlicerBridge.Protocol;

/// <summary>
/// OpenIGTLink's body checksum: CRC-64/ECMA-182 (polynomial 0x42F0E1EBA9EA3693, MSB-first, init 0, no final XOR), which is
/// what <see cref="Crc64"/> of System.IO.Hashing computes. Incremental use goes through a <see cref="Crc64"/> instance
/// (<see cref="Crc64.Append(ReadOnlySpan{byte})"/>, then <see cref="Crc64.GetCurrentHashAsUInt64"/>).
/// </summary>
public static class IgtlCrc
{
    public static ulong Compute(ReadOnlySpan<byte> data) => Crc64.HashToUInt64(data);

    public static ulong Compute(ReadOnlySequence<byte> data)
    {
        if (data.IsSingleSegment) return Crc64.HashToUInt64(data.FirstSpan);
        var crc = new Crc64();
        foreach (var segment in data) crc.Append(segment.Span);
        return crc.GetCurrentHashAsUInt64();
    }

    public static void Append(this Crc64 crc, ReadOnlySequence<byte> data)
    {
        foreach (var segment in data) crc.Append(segment.Span);
    }
}
