using System.IO.Compression;

namespace SlicerBridge.Inference.IO;

/// <summary>gzip compression for the writers (the readers stream and bound their input, see <see cref="VolumeStreams"/>).</summary>
internal static class FileBytes
{
    public static byte[] Gzip(ReadOnlySpan<byte> data)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true))
            gzip.Write(data);
        return output.ToArray();
    }
}
