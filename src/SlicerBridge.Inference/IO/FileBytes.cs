using System.IO.Compression;

namespace SlicerBridge.Inference.IO;

/// <summary>Whole-file reads and writes, gzip-aware (recognised by its magic bytes, not by the extension).</summary>
internal static class FileBytes
{
    public static bool IsGzip(ReadOnlySpan<byte> bytes) => bytes.Length >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b;

    public static byte[] ReadMaybeGzip(string path)
    {
        byte[] raw = ReadAll(path);
        return IsGzip(raw) ? Gunzip(raw, path) : raw;
    }

    public static byte[] ReadAll(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Volume file '{path}' not found.", path);
        return File.ReadAllBytes(path);
    }

    public static byte[] Gunzip(ReadOnlySpan<byte> compressed, string what)
    {
        try
        {
            using var input = new MemoryStream(compressed.ToArray());
            using var gzip = new GZipStream(input, CompressionMode.Decompress);
            using var output = new MemoryStream();
            gzip.CopyTo(output);
            return output.ToArray();
        }
        catch (InvalidDataException ex)
        {
            throw new VolumeFormatException($"'{what}': gzip data is corrupt or truncated ({ex.Message}).", ex);
        }
    }

    public static byte[] Gzip(ReadOnlySpan<byte> data)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true))
            gzip.Write(data);
        return output.ToArray();
    }
}
