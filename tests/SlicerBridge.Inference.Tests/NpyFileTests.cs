using SlicerBridge.Inference.IO;

namespace SlicerBridge.Inference.Tests;

public class NpyFileTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("sb-npy-").FullName;
    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void ReadsFixtureArrays()
    {
        var iou = NpyFile.Read(TestPaths.Fixture("sam-med3d-tiny", "click1_iou.npy"));
        Assert.Equal("<f4", iou.Descr);
        Assert.Equal([1], iou.Shape);
        Assert.Equal(-0.8304147f, iou.ToFloat32()[0], 6);
        var mask = NpyFile.Read(TestPaths.Fixture("sam-med3d-tiny", "click1_mask.npy"));
        Assert.Equal([128, 128, 128], mask.Shape);
        Assert.Equal(1829726, mask.Data.Sum(b => (long)b)); // numpy: mask.sum()
        var logits = NpyFile.Read(TestPaths.Fixture("sam-med3d-tiny", "click1_lowres_logits.npy"));
        Assert.Equal(8483.369400292466, logits.ToFloat32().Sum(v => (double)v), 1e-6);
    }

    [Fact]
    public void WriteThenReadRoundTrips()
    {
        var path = Path.Combine(_dir, "a.npy");
        float[] values = [1.5f, -2, 3, float.MaxValue, 0, -0.25f];
        NpyFile.WriteFloat32(path, values, 2, 3);
        var back = NpyFile.Read(path);
        Assert.Equal([2, 3], back.Shape);
        Assert.Equal(values, back.ToFloat32());
        Assert.Equal(0, (new FileInfo(path).Length - 6 * 4) % 64); // data starts on a 64-byte boundary
        var maskPath = Path.Combine(_dir, "m.npy");
        NpyFile.WriteUInt8(maskPath, [0, 1, 1], 3);
        Assert.Equal("|u1", NpyFile.Read(maskPath).Descr);
        Assert.Equal([3], NpyFile.Read(maskPath).Shape);
    }

    [Theory]
    [InlineData("{'descr': '<f4', 'fortran_order': True, 'shape': (2,), }", 8, "Fortran")]
    [InlineData("{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }", 8, "dtype")]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }", 8, "needs 12 bytes")]
    [InlineData("{'descr': '<f4'}", 8, "unreadable")]
    public void MalformedFilesAreRejected(string header, int dataBytes, string expected)
    {
        var h = System.Text.Encoding.ASCII.GetBytes(header + "\n");
        byte[] bytes = [0x93, .. "NUMPY"u8, 1, 0, (byte)h.Length, (byte)(h.Length >> 8), .. h, .. new byte[dataBytes]];
        Assert.Contains(expected, Assert.Throws<NpyFormatException>(() => NpyFile.Parse(bytes)).Message);
        Assert.Throws<NpyFormatException>(() => NpyFile.Parse("not numpy"u8));
    }
}
