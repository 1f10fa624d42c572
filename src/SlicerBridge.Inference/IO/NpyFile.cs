using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace SlicerBridge.Inference.IO;

/// <summary>A NumPy array read from or written to a <c>.npy</c> file: shape (C order) and raw little-endian data.</summary>
public sealed class NpyArray(string descr, int[] shape, byte[] data)
{
    public string Descr { get; } = descr;
    public int[] Shape { get; } = shape;
    public byte[] Data { get; } = data;
    public long Count => Shape.Aggregate(1L, (a, b) => a * b);

    /// <summary>The values as float32 (from f4, f8, u1, b1, i1, i2, u2, i4, i8).</summary>
    public float[] ToFloat32()
    {
        var result = new float[Count];
        var d = Data.AsSpan();
        for (int i = 0; i < result.Length; i++)
            result[i] = Descr switch
            {
                "<f4" => BinaryPrimitives.ReadSingleLittleEndian(d[(4 * i)..]),
                "<f8" => (float)BinaryPrimitives.ReadDoubleLittleEndian(d[(8 * i)..]),
                "|u1" or "|b1" => d[i],
                "|i1" => (sbyte)d[i],
                "<i2" => BinaryPrimitives.ReadInt16LittleEndian(d[(2 * i)..]),
                "<u2" => BinaryPrimitives.ReadUInt16LittleEndian(d[(2 * i)..]),
                "<i4" => BinaryPrimitives.ReadInt32LittleEndian(d[(4 * i)..]),
                "<i8" => BinaryPrimitives.ReadInt64LittleEndian(d[(8 * i)..]),
                _ => throw new NpyFormatException($"dtype '{Descr}' is not supported."),
            };
        return result;
    }
}

public sealed class NpyFormatException(string message) : Exception(message);

/// <summary>Reads and writes <c>.npy</c> files (format versions 1–3, C order, little-endian dtypes).</summary>
public static partial class NpyFile
{
    private static readonly byte[] Magic = [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];
    private static readonly Dictionary<string, int> ItemSizes = new()
    {
        ["<f4"] = 4, ["<f8"] = 8, ["|u1"] = 1, ["|b1"] = 1, ["|i1"] = 1, ["<i2"] = 2, ["<u2"] = 2, ["<i4"] = 4, ["<i8"] = 8,
    };

    /// <summary>Largest header accepted, as NumPy's own reader (<c>np.load</c>'s default <c>max_header_size</c>).</summary>
    public const int MaxHeaderLength = 10_000;

    /// <summary>
    /// Reads an array; the header is checked (shape, dtype, element count against <paramref name="limits"/>, data size
    /// against the file) before the data buffer is allocated. Every problem with the file is an <see cref="NpyFormatException"/>.
    /// </summary>
    public static NpyArray Read(string path, VolumeReadLimits? limits = null)
    {
        try
        {
            using var file = VolumeStreams.OpenInput(path, "Array file");
            var prefix = new byte[12];
            int got = file.ReadAtLeast(prefix, prefix.Length, throwOnEndOfStream: false);
            var (headerStart, headerLength) = Preamble(prefix.AsSpan(0, got));
            if (headerStart + (long)headerLength > file.Length) throw new NpyFormatException("truncated header.");
            var header = new byte[headerLength];
            file.Position = headerStart;
            file.ReadExactly(header);
            var (dtype, dims, count, itemSize) = Header(header, limits ?? VolumeReadLimits.Default);
            long dataBytes = file.Length - file.Position;
            if (dataBytes != count * itemSize)
                throw new NpyFormatException($"shape ({string.Join(",", dims)}) of {dtype} needs {count * itemSize} bytes, the file holds {dataBytes}.");
            var data = GC.AllocateUninitializedArray<byte>((int)dataBytes);
            file.ReadExactly(data);
            return new NpyArray(dtype, dims, data);
        }
        catch (NpyFormatException ex) { throw new NpyFormatException($"{path}: {ex.Message}"); }
        catch (VolumeFormatException ex) { throw new NpyFormatException(ex.Message); }
    }

    public static NpyArray Parse(ReadOnlySpan<byte> bytes, VolumeReadLimits? limits = null)
    {
        var (headerStart, headerLength) = Preamble(bytes[..Math.Min(bytes.Length, 12)]);
        if (headerStart + (long)headerLength > bytes.Length) throw new NpyFormatException("truncated header.");
        var (dtype, dims, count, itemSize) = Header(bytes.Slice(headerStart, headerLength), limits ?? VolumeReadLimits.Default);
        int dataStart = headerStart + headerLength;
        if (bytes.Length - dataStart != count * itemSize)
            throw new NpyFormatException($"shape ({string.Join(",", dims)}) of {dtype} needs {count * itemSize} bytes, the file holds {bytes.Length - dataStart}.");
        return new NpyArray(dtype, dims, bytes[dataStart..].ToArray());
    }

    /// <summary>Magic, version and header length from the first 10 (version 1) or 12 (versions 2, 3) bytes.</summary>
    private static (int HeaderStart, int HeaderLength) Preamble(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length < 10 || !bytes[..6].SequenceEqual(Magic)) throw new NpyFormatException("not a .npy file (bad magic).");
        int major = bytes[6];
        long headerLength;
        int headerStart;
        if (major == 1) { headerLength = BinaryPrimitives.ReadUInt16LittleEndian(bytes[8..]); headerStart = 10; }
        else if (major is 2 or 3)
        {
            if (bytes.Length < 12) throw new NpyFormatException("truncated header.");
            headerLength = BinaryPrimitives.ReadUInt32LittleEndian(bytes[8..]); headerStart = 12;
        }
        else throw new NpyFormatException($"format version {major} is not supported.");
        if (headerLength > MaxHeaderLength) throw new NpyFormatException($"a header of {headerLength} bytes, more than {MaxHeaderLength} (as numpy's reader).");
        return (headerStart, (int)headerLength);
    }

    /// <summary>dtype, shape, element count and item size from the header dictionary; the count is checked against the limit.</summary>
    private static (string Dtype, int[] Dims, long Count, int ItemSize) Header(ReadOnlySpan<byte> headerBytes, VolumeReadLimits limits)
    {
        string header = Encoding.UTF8.GetString(headerBytes);
        var descr = DescrPattern().Match(header);
        var fortran = FortranPattern().Match(header);
        var shape = ShapePattern().Match(header);
        if (!descr.Success || !fortran.Success || !shape.Success) throw new NpyFormatException($"unreadable header '{Inference.Text.Clip(header.Trim())}'.");
        if (fortran.Groups[1].Value == "True") throw new NpyFormatException("Fortran-order arrays are not supported; save with np.ascontiguousarray.");
        string dtype = descr.Groups[1].Value;
        if (!ItemSizes.TryGetValue(dtype, out int itemSize)) throw new NpyFormatException($"dtype '{Inference.Text.Clip(dtype)}' is not supported.");
        string[] dimText = shape.Groups[1].Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (dimText.Length > 32) throw new NpyFormatException($"{dimText.Length} dimensions; at most 32 are supported (as numpy).");
        var dims = new int[dimText.Length];
        long count = 1;
        for (int i = 0; i < dims.Length; i++)
        {
            if (!int.TryParse(dimText[i], NumberStyles.None, CultureInfo.InvariantCulture, out dims[i]))
                throw new NpyFormatException($"shape entry '{Inference.Text.Clip(dimText[i])}' is not a dimension in 0..{int.MaxValue}.");
            count = dims[i] == 0 || count == 0 ? 0 : count > limits.MaxVoxels / dims[i] ? limits.MaxVoxels + 1 : count * dims[i];
        }
        if (count > limits.MaxVoxels || count * itemSize > Array.MaxLength)
            throw new NpyFormatException($"shape ({Inference.Text.Clip(string.Join(",", dims))}) holds more than {limits.MaxVoxels} elements (MaxVoxels) or more bytes than one buffer can hold.");
        return (dtype, dims, count, itemSize);
    }

    public static void WriteFloat32(string path, ReadOnlySpan<float> values, params int[] shape)
    {
        var data = new byte[values.Length * 4];
        for (int i = 0; i < values.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(data.AsSpan(4 * i), values[i]);
        Write(path, "<f4", shape, data);
    }

    public static void WriteUInt8(string path, ReadOnlySpan<byte> values, params int[] shape) => Write(path, "|u1", shape, values.ToArray());

    private static void Write(string path, string descr, int[] shape, byte[] data)
    {
        long count = shape.Aggregate(1L, (a, b) => a * b);
        if (count * ItemSizes[descr] != data.Length) throw new ArgumentException($"shape ({string.Join(",", shape)}) does not match {data.Length} bytes.");
        string dims = shape.Length == 1 ? $"{shape[0]}," : string.Join(", ", shape);
        string dict = $"{{'descr': '{descr}', 'fortran_order': False, 'shape': ({dims}), }}";
        int total = 10 + dict.Length + 1;
        int pad = (64 - total % 64) % 64; // header padded so the data starts on a 64-byte boundary
        string header = dict + new string(' ', pad) + "\n";
        using var f = File.Create(path);
        f.Write(Magic);
        f.Write([1, 0]);
        Span<byte> len = stackalloc byte[2];
        BinaryPrimitives.WriteUInt16LittleEndian(len, (ushort)header.Length);
        f.Write(len);
        f.Write(Encoding.ASCII.GetBytes(header));
        f.Write(data);
    }

    [GeneratedRegex(@"'descr'\s*:\s*'([^']+)'")] private static partial Regex DescrPattern();
    [GeneratedRegex(@"'fortran_order'\s*:\s*(True|False)")] private static partial Regex FortranPattern();
    [GeneratedRegex(@"'shape'\s*:\s*\(([^)]*)\)")] private static partial Regex ShapePattern();
}
