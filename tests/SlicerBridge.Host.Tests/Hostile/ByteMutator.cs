using System.Buffers.Binary;

namespace SlicerBridge.Host.Tests.Hostile;

/// <summary>
/// Seeded mutations of a file's bytes, as a fuzzer makes them: bit flips, interesting values written over 1, 2, 4 or
/// 8 bytes (sizes and counts are where readers go wrong), chunk deletion, duplication and insertion, truncation.
/// The same seed always gives the same sequence.
/// </summary>
internal sealed class ByteMutator(int seed)
{
    private static readonly long[] Interesting =
        [0, 1, -1, 0x7F, 0x80, 0xFF, 0x7FFF, 0x8000, 0xFFFF, int.MaxValue, unchecked((int)0x80000000), uint.MaxValue, 1L << 32, 1L << 40, long.MaxValue, long.MinValue];

    private readonly Random _random = new(seed);

    public Random Random => _random;

    public byte[] Mutate(byte[] input)
    {
        var data = new List<byte>(input);
        int count = 1 + _random.Next(_random.Next(2) == 0 ? 2 : 8);
        for (int m = 0; m < count && data.Count > 0; m++)
        {
            int at = Position(data.Count);
            switch (_random.Next(7))
            {
                case 0: data[at] ^= (byte)(1 << _random.Next(8)); break;
                case 1: data[at] = (byte)_random.Next(256); break;
                case 2: WriteInteresting(data, at); break;
                case 3: data.RemoveRange(at, Math.Min(data.Count - at, 1 + _random.Next(64))); break;
                case 4:
                {
                    int length = Math.Min(data.Count - at, 1 + _random.Next(256));
                    data.InsertRange(Position(data.Count), data.GetRange(at, length));
                    break;
                }
                case 5: data.InsertRange(at, Enumerable.Range(0, 1 + _random.Next(16)).Select(_ => (byte)_random.Next(256))); break;
                default: if (_random.Next(4) == 0) data.RemoveRange(at, data.Count - at); break; // truncation, rarer
            }
        }
        return [.. data];
    }

    /// <summary>Mostly near the start, where headers and their sizes live.</summary>
    private int Position(int length) => _random.Next(3) == 0 ? _random.Next(length) : _random.Next(Math.Min(length, 512));

    private void WriteInteresting(List<byte> data, int at)
    {
        int width = 1 << _random.Next(4);
        if (at + width > data.Count) return;
        Span<byte> bytes = stackalloc byte[8];
        long value = Interesting[_random.Next(Interesting.Length)] + (_random.Next(4) == 0 ? _random.Next(-2, 3) : 0);
        if (_random.Next(2) == 0) BinaryPrimitives.WriteInt64LittleEndian(bytes, value);
        else BinaryPrimitives.WriteInt64BigEndian(bytes, value << (64 - 8 * width));
        for (int i = 0; i < width; i++) data[at + i] = bytes[i];
    }
}
