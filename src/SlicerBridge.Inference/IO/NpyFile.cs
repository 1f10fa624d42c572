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

    public static NpyArray Read(string path)
    {
        var bytes = File.ReadAllBytes(path);
        try { return Parse(bytes); }
        catch (NpyFormatException ex) { throw new NpyFormatException($"{path}: {ex.Message}"); }
    }

    public static NpyArray Parse(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length < 10 || !bytes[..6].SequenceEqual(Magic)) throw new NpyFormatException("not a .npy file (bad magic).");
        int major = bytes[6];
        int headerLength, headerStart;
        if (major == 1) { headerLength = BinaryPrimitives.ReadUInt16LittleEndian(bytes[8..]); headerStart = 10; }
        else if (major is 2 or 3)
        {
            if (bytes.Length < 12) throw new NpyFormatException("truncated header.");
            headerLength = checked((int)BinaryPrimitives.ReadUInt32LittleEndian(bytes[8..])); headerStart = 12;
        }
        else throw new NpyFormatException($"format version {major} is not supported.");
        if (headerStart + headerLength > bytes.Length) throw new NpyFormatException("truncated header.");
        string header = Encoding.UTF8.GetString(bytes.Slice(headerStart, headerLength));
        var descr = DescrPattern().Match(header);
        var fortran = FortranPattern().Match(header);
        var shape = ShapePattern().Match(header);
        if (!descr.Success || !fortran.Success || !shape.Success) throw new NpyFormatException($"unreadable header '{header.Trim()}'.");
        if (fortran.Groups[1].Value == "True") throw new NpyFormatException("Fortran-order arrays are not supported; save with np.ascontiguousarray.");
        string dtype = descr.Groups[1].Value;
        if (!ItemSizes.TryGetValue(dtype, out int itemSize)) throw new NpyFormatException($"dtype '{dtype}' is not supported.");
        int[] dims = shape.Groups[1].Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray();
        long count = dims.Aggregate(1L, (a, b) => a * b);
        int dataStart = headerStart + headerLength;
        if (bytes.Length - dataStart != count * itemSize)
            throw new NpyFormatException($"shape ({string.Join(",", dims)}) of {dtype} needs {count * itemSize} bytes, the file holds {bytes.Length - dataStart}.");
        return new NpyArray(dtype, dims, bytes[dataStart..].ToArray());
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
