using System.Buffers.Binary;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace SlicerBridge.Inference.Checkpoints;

/// <summary>One entry of a zip archive's central directory.</summary>
internal sealed record ZipEntryInfo(string Name, ushort Method, ushort Flags, uint Crc32, long CompressedSize, long Size, long LocalHeaderOffset);

/// <summary>
/// Reads a zip archive's central directory (zip64 included) from an open file, bounded: the entry count is checked
/// against <see cref="CheckpointLimits.MaxZipEntries"/> before any entry is read, and every size and offset must lie
/// inside the file. Entries are keyed by name and a later duplicate replaces an earlier one, as Python's zipfile does.
/// </summary>
internal static class ZipDirectory
{
    private const uint EndSignature = 0x06054b50, Zip64LocatorSignature = 0x07064b50, Zip64EndSignature = 0x06064b50;
    private const uint CentralSignature = 0x02014b50;
    private const int EndSize = 22, Zip64LocatorSize = 20, Zip64EndSize = 56, CentralHeaderSize = 46, MaxCommentLength = 0xFFFF;
    private const ushort Zip64ExtraId = 0x0001;
    private const long MaxDirectoryBytes = 64L << 20; // far above MaxZipEntries' worth of real entries (~100 bytes each)

    public static Dictionary<string, ZipEntryInfo> Read(SafeFileHandle file, string source, CheckpointLimits limits)
    {
        long length = RandomAccess.GetLength(file);
        if (length < EndSize) throw Bad(source, "too short for a zip archive");

        // The end record sits within the last 22 + 65535 bytes (its comment comes after it).
        int tailLength = (int)Math.Min(length, EndSize + MaxCommentLength);
        var tail = new byte[tailLength];
        ReadAt(file, tail, length - tailLength, source);
        int end = -1;
        for (int i = tailLength - EndSize; i >= 0; i--)
            if (BinaryPrimitives.ReadUInt32LittleEndian(tail.AsSpan(i)) == EndSignature) { end = i; break; }
        if (end < 0) throw Bad(source, "no end-of-central-directory record");
        var record = tail.AsSpan(end);
        long entries = BinaryPrimitives.ReadUInt16LittleEndian(record[10..]);
        long directorySize = BinaryPrimitives.ReadUInt32LittleEndian(record[12..]);
        long directoryOffset = BinaryPrimitives.ReadUInt32LittleEndian(record[16..]);
        long endPosition = length - tailLength + end;

        if (entries == 0xFFFF || directorySize == 0xFFFFFFFF || directoryOffset == 0xFFFFFFFF)
        {
            if (endPosition < Zip64LocatorSize) throw Bad(source, "a zip64 marker without its locator");
            var locator = new byte[Zip64LocatorSize];
            ReadAt(file, locator, endPosition - Zip64LocatorSize, source);
            if (BinaryPrimitives.ReadUInt32LittleEndian(locator) != Zip64LocatorSignature) throw Bad(source, "a zip64 marker without its locator");
            ulong zip64End = BinaryPrimitives.ReadUInt64LittleEndian(locator.AsSpan(8));
            if (zip64End > (ulong)(length - Zip64EndSize)) throw Bad(source, "the zip64 end record lies outside the file");
            var z = new byte[Zip64EndSize];
            ReadAt(file, z, (long)zip64End, source);
            if (BinaryPrimitives.ReadUInt32LittleEndian(z) != Zip64EndSignature) throw Bad(source, "a broken zip64 end record");
            entries = Checked(BinaryPrimitives.ReadUInt64LittleEndian(z.AsSpan(32)), source, "entry count");
            directorySize = Checked(BinaryPrimitives.ReadUInt64LittleEndian(z.AsSpan(40)), source, "directory size");
            directoryOffset = Checked(BinaryPrimitives.ReadUInt64LittleEndian(z.AsSpan(48)), source, "directory offset");
            endPosition = (long)zip64End;
        }
        if (entries > limits.MaxZipEntries)
            throw new CheckpointException($"{source}: the archive lists {entries} entries, more than {limits.MaxZipEntries} (limit MaxZipEntries).");
        if (directoryOffset > endPosition || directorySize > endPosition - directoryOffset)
            throw Bad(source, "the central directory lies outside the file");
        if (directorySize < entries * CentralHeaderSize) throw Bad(source, $"a central directory of {directorySize} bytes cannot list {entries} entries");
        if (directorySize > MaxDirectoryBytes) throw Bad(source, $"a central directory of {directorySize} bytes, more than {MaxDirectoryBytes}");

        var directory = new byte[directorySize];
        ReadAt(file, directory, directoryOffset, source);
        var result = new Dictionary<string, ZipEntryInfo>(StringComparer.Ordinal);
        int at = 0;
        for (long n = 0; n < entries; n++)
        {
            var h = directory.AsSpan(at);
            if (h.Length < CentralHeaderSize || BinaryPrimitives.ReadUInt32LittleEndian(h) != CentralSignature)
                throw Bad(source, $"central directory entry {n} is broken");
            ushort flags = BinaryPrimitives.ReadUInt16LittleEndian(h[8..]);
            ushort method = BinaryPrimitives.ReadUInt16LittleEndian(h[10..]);
            uint crc = BinaryPrimitives.ReadUInt32LittleEndian(h[16..]);
            long compressed = BinaryPrimitives.ReadUInt32LittleEndian(h[20..]);
            long size = BinaryPrimitives.ReadUInt32LittleEndian(h[24..]);
            int nameLength = BinaryPrimitives.ReadUInt16LittleEndian(h[28..]);
            int extraLength = BinaryPrimitives.ReadUInt16LittleEndian(h[30..]);
            int commentLength = BinaryPrimitives.ReadUInt16LittleEndian(h[32..]);
            long localOffset = BinaryPrimitives.ReadUInt32LittleEndian(h[42..]);
            int total = CentralHeaderSize + nameLength + extraLength + commentLength;
            if (total > h.Length) throw Bad(source, $"central directory entry {n} runs past the directory");
            string name = Encoding.UTF8.GetString(h.Slice(CentralHeaderSize, nameLength));
            ApplyZip64(h.Slice(CentralHeaderSize + nameLength, extraLength), ref size, ref compressed, ref localOffset, source);
            if (localOffset > directoryOffset || compressed > directoryOffset - localOffset)
                throw Bad(source, $"entry '{Text.Clip(name)}' lies outside the archive's data");
            result[name] = new ZipEntryInfo(name, method, flags, crc, compressed, size, localOffset);
            at += total;
        }
        return result;
    }

    /// <summary>Replaces the 32-bit fields that are 0xFFFFFFFF with their zip64 values, in the order the format gives them.</summary>
    private static void ApplyZip64(ReadOnlySpan<byte> extra, ref long size, ref long compressed, ref long offset, string source)
    {
        while (extra.Length >= 4)
        {
            ushort id = BinaryPrimitives.ReadUInt16LittleEndian(extra);
            int length = BinaryPrimitives.ReadUInt16LittleEndian(extra[2..]);
            if (length > extra.Length - 4) throw Bad(source, "an extra field runs past its entry");
            var data = extra.Slice(4, length);
            if (id == Zip64ExtraId)
            {
                int at = 0;
                if (size == 0xFFFFFFFF) size = Field(data, ref at, source);
                if (compressed == 0xFFFFFFFF) compressed = Field(data, ref at, source);
                if (offset == 0xFFFFFFFF) offset = Field(data, ref at, source);
            }
            extra = extra[(4 + length)..];
        }
    }

    private static long Field(ReadOnlySpan<byte> data, ref int at, string source)
    {
        if (data.Length - at < 8) throw Bad(source, "a short zip64 extra field");
        ulong v = BinaryPrimitives.ReadUInt64LittleEndian(data[at..]);
        at += 8;
        return Checked(v, source, "zip64 size");
    }

    private static long Checked(ulong value, string source, string what) =>
        value <= long.MaxValue ? (long)value : throw Bad(source, $"a {what} of {value}");

    internal static void ReadAt(SafeFileHandle file, Span<byte> target, long offset, string source)
    {
        while (!target.IsEmpty)
        {
            int n = RandomAccess.Read(file, target, offset);
            if (n == 0) throw Bad(source, "the file ends early");
            target = target[n..];
            offset += n;
        }
    }

    private static CheckpointException Bad(string source, string what) => new($"{source}: not a readable zip archive ({what}).");
}
