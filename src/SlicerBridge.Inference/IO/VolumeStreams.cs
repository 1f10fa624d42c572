using System.IO.Compression;

namespace SlicerBridge.Inference.IO;

/// <summary>Opening and reading volume data streams: regular files only, gzip recognised by its magic bytes, exact reads.</summary>
internal static class VolumeStreams
{
    /// <summary>Opens a file the user named (links followed); a missing file is <see cref="FileNotFoundException"/>.</summary>
    public static FileStream OpenInput(string path, string what = "Volume file")
    {
        if (RegularFile.Of(path, followLinks: true) == RegularFile.Kind.Missing)
            throw new FileNotFoundException($"{what} '{path}' not found.", path);
        RegularFile.Require(path, reason => new VolumeFormatException($"{what} '{path}' {reason}."));
        return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 16);
    }

    /// <summary>The stream itself, or a gzip decoder over it when its next bytes are the gzip magic (the stream must seek).</summary>
    public static Stream MaybeGunzip(Stream stream, out bool gzip)
    {
        Span<byte> magic = stackalloc byte[2];
        long start = stream.Position;
        int n = stream.ReadAtLeast(magic, 2, throwOnEndOfStream: false);
        stream.Position = start;
        gzip = n == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
        return gzip ? new GZipStream(stream, CompressionMode.Decompress, leaveOpen: true) : stream;
    }

    /// <summary>Reads until <paramref name="target"/> is full or the stream ends; returns the bytes read.</summary>
    public static int ReadUpTo(Stream stream, Span<byte> target, string name)
    {
        try { return stream.ReadAtLeast(target, target.Length, throwOnEndOfStream: false); }
        catch (InvalidDataException ex) { throw new VolumeFormatException($"'{name}': gzip data is corrupt or truncated ({Text.Clip(ex.Message, 120)}).", ex); }
    }

    /// <summary>Fills <paramref name="target"/>, or throws a format error naming what was being read.</summary>
    public static void ReadExactly(Stream stream, Span<byte> target, string name, string what)
    {
        int n = ReadUpTo(stream, target, name);
        if (n < target.Length) throw new VolumeFormatException($"'{name}' is truncated: {what} ends after {n} of {target.Length} bytes.");
    }

    /// <summary>Reads and discards <paramref name="count"/> bytes (a compressed stream cannot seek).</summary>
    public static void Skip(Stream stream, long count, string name, string what)
    {
        if (count <= 0) return;
        if (stream.CanSeek)
        {
            if (count > stream.Length - stream.Position) throw new VolumeFormatException($"'{name}' is truncated: {what} runs past the end of the file.");
            stream.Seek(count, SeekOrigin.Current);
            return;
        }
        var buffer = new byte[(int)Math.Min(count, 1 << 16)];
        while (count > 0)
        {
            int n = (int)Math.Min(count, buffer.Length);
            ReadExactly(stream, buffer.AsSpan(0, n), name, what);
            count -= n;
        }
    }

    /// <summary>Checks a declared voxel count against the limit before anything is allocated for it.</summary>
    public static void CheckVoxelCount(long count, string dims, VolumeReadLimits limits, string name)
    {
        if (count > limits.MaxVoxels)
            throw new VolumeFormatException($"'{name}' declares {dims} = {count} voxels, more than the limit of {limits.MaxVoxels} (MaxVoxels).");
    }
}
