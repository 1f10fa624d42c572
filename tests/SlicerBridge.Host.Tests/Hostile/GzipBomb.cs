using System.IO.Compression;

namespace SlicerBridge.Host.Tests.Hostile;

/// <summary>
/// gzip data whose first member is a real file and whose following members inflate to many zero bytes: one
/// 64 MiB member compressed once (about 64 KB) and repeated, so a gigabyte bomb costs a test a fraction of a second.
/// </summary>
internal static class GzipBomb
{
    private static readonly Lazy<byte[]> ZeroMember = new(() => Gzip(new byte[64 << 20]));

    public static byte[] Gzip(ReadOnlySpan<byte> data)
    {
        var output = new MemoryStream();
        using (var g = new GZipStream(output, CompressionLevel.Optimal, leaveOpen: true)) g.Write(data);
        return output.ToArray();
    }

    /// <summary><paramref name="head"/> gzipped, then members inflating to about <paramref name="zeroBytes"/> zeros.</summary>
    public static byte[] After(ReadOnlySpan<byte> head, long zeroBytes)
    {
        var output = new MemoryStream();
        output.Write(Gzip(head));
        for (long left = zeroBytes; left > 0; left -= 64 << 20) output.Write(ZeroMember.Value);
        return output.ToArray();
    }
}
