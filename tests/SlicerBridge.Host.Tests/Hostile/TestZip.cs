using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace SlicerBridge.Host.Tests.Hostile;

/// <summary>One entry for <see cref="TestZip"/>: its bytes, and optionally a lying declared size or CRC.</summary>
internal sealed record TestZipEntry(string Name, byte[] Data, bool Deflate = false, long? DeclaredSize = null, uint? DeclaredCrc = null, byte[]? RawCompressed = null);

/// <summary>Writes zip archives byte by byte, so that tests can state sizes, CRCs and counts a normal writer never would.</summary>
internal static class TestZip
{
    public static byte[] Build(IEnumerable<TestZipEntry> entries, long? declaredEntryCount = null)
    {
        var file = new MemoryStream();
        var central = new MemoryStream();
        int count = 0;
        foreach (var e in entries)
        {
            byte[] name = Encoding.UTF8.GetBytes(e.Name);
            byte[] stored = e.RawCompressed ?? (e.Deflate ? Deflate(e.Data) : e.Data);
            long size = e.DeclaredSize ?? e.Data.Length;
            uint crc = e.DeclaredCrc ?? System.IO.Hashing.Crc32.HashToUInt32(e.Data);
            ushort method = (ushort)(e.Deflate || e.RawCompressed is not null ? 8 : 0);
            bool zip64 = size >= 0xFFFFFFFF;
            byte[] extra = zip64 ? [1, 0, 8, 0, .. BitConverter.GetBytes(size)] : [];
            long offset = file.Position;
            Write(file, 0x04034b50u, (ushort)45, (ushort)0, method, (ushort)0, (ushort)0, crc, (uint)stored.Length,
                zip64 ? 0xFFFFFFFFu : (uint)size, (ushort)name.Length, (ushort)0);
            file.Write(name);
            file.Write(stored);
            Write(central, 0x02014b50u, (ushort)45, (ushort)45, (ushort)0, method, (ushort)0, (ushort)0, crc, (uint)stored.Length,
                zip64 ? 0xFFFFFFFFu : (uint)size, (ushort)name.Length, (ushort)extra.Length, (ushort)0, (ushort)0, (ushort)0, 0u, (uint)offset);
            central.Write(name);
            central.Write(extra);
            count++;
        }
        long directoryOffset = file.Position;
        central.Position = 0;
        central.CopyTo(file);
        long entriesField = declaredEntryCount ?? count;
        if (entriesField >= 0xFFFF)
        {
            long zip64End = file.Position;
            Write(file, 0x06064b50u, 44UL, (ushort)45, (ushort)45, 0u, 0u, (ulong)entriesField, (ulong)entriesField, (ulong)central.Length, (ulong)directoryOffset);
            Write(file, 0x07064b50u, 0u, (ulong)zip64End, 1u);
            Write(file, 0x06054b50u, (ushort)0, (ushort)0, (ushort)0xFFFF, (ushort)0xFFFF, (uint)central.Length, (uint)directoryOffset, (ushort)0);
        }
        else Write(file, 0x06054b50u, (ushort)0, (ushort)0, (ushort)entriesField, (ushort)entriesField, (uint)central.Length, (uint)directoryOffset, (ushort)0);
        return file.ToArray();
    }

    public static byte[] Deflate(ReadOnlySpan<byte> data)
    {
        var output = new MemoryStream();
        using (var d = new DeflateStream(output, CompressionLevel.Fastest, leaveOpen: true)) d.Write(data);
        return output.ToArray();
    }

    /// <summary>Deflate data that inflates to <paramref name="zeros"/> zero bytes, made from one compressed block repeated.</summary>
    public static byte[] DeflatedZeros(long zeros) => Compress(zeros, s => new DeflateStream(s, CompressionLevel.Fastest, leaveOpen: true));

    private static byte[] Compress(long zeros, Func<Stream, Stream> wrap)
    {
        var output = new MemoryStream();
        using (var d = wrap(output))
        {
            var block = new byte[1 << 20];
            for (long left = zeros; left > 0; left -= block.Length) d.Write(block, 0, (int)Math.Min(left, block.Length));
        }
        return output.ToArray();
    }

    private static void Write(Stream s, params object[] fields)
    {
        Span<byte> b = stackalloc byte[8];
        foreach (var f in fields)
            switch (f)
            {
                case ushort v: BinaryPrimitives.WriteUInt16LittleEndian(b, v); s.Write(b[..2]); break;
                case uint v: BinaryPrimitives.WriteUInt32LittleEndian(b, v); s.Write(b[..4]); break;
                case ulong v: BinaryPrimitives.WriteUInt64LittleEndian(b, v); s.Write(b[..8]); break;
                default: throw new ArgumentException(f.GetType().Name);
            }
    }
}
