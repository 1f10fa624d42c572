using System.Buffers.Binary;
using System.Text;

namespace SlicerBridge.Host.Tests.Hostile;

/// <summary>.npy files with shapes and header lengths beyond what the reader can hold (issue 15: shapes beyond int32).</summary>
internal static class NpyAttacks
{
    public static IEnumerable<HostileCase> Cases =>
    [
        new("npy", "shape-beyond-int32", dir => Crop(dir, Npy("(3000000000,)")), "shape entry '3000000000'"),
        new("npy", "negative-shape", dir => Crop(dir, Npy("(-1,)")), "shape entry '-1'"),
        new("npy", "over-the-element-limit", dir => Crop(dir, Npy("(100000, 100000)")), "MaxVoxels"),
        new("npy", "header-length-4GB", dir => Crop(dir, [0x93, .. "NUMPY"u8, 2, 0, 0xFF, 0xFF, 0xFF, 0xFF, .. "{}"u8]), "more than 10000"),
        new("npy", "data-shorter-than-shape", dir => Crop(dir, [.. Npy("(128, 128, 128)"), .. new byte[1000]]), "needs 8388608 bytes"),
    ];

    /// <summary>A version-1 header for float32 data of the given shape text (no data).</summary>
    private static byte[] Npy(string shape)
    {
        string dict = $"{{'descr': '<f4', 'fortran_order': False, 'shape': {shape}, }}\n";
        var header = Encoding.ASCII.GetBytes(dict);
        var length = new byte[2];
        BinaryPrimitives.WriteUInt16LittleEndian(length, (ushort)header.Length);
        return [0x93, .. "NUMPY"u8, 1, 0, .. length, .. header];
    }

    private static string[] Crop(string dir, byte[] npy) => HostileCorpus.ModelRun(dir, crop: HostileCorpus.Write(dir, "crop.npy", npy));
}
