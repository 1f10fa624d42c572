using SlicerBridge.Inference.Volumes;

namespace SlicerBridge.Inference.Tests.IO;

/// <summary>Shared geometry and helpers for the volume file tests.</summary>
internal static class VolumeIoTestData
{
    /// <summary>Oblique (rotated 30° about S then 20° about R), anisotropic (0.7, 1.3, 2.9 mm), right-handed grid.</summary>
    public static VolumeGeometry Oblique(int ni = 7, int nj = 5, int nk = 4)
    {
        double a = Math.PI / 6, b = Math.PI / 9;
        // Rotation Rx(b)·Rz(a) applied to the index axes.
        Vec3 Rotate(Vec3 v)
        {
            var z = new Vec3(v.X * Math.Cos(a) - v.Y * Math.Sin(a), v.X * Math.Sin(a) + v.Y * Math.Cos(a), v.Z);
            return new Vec3(z.X, z.Y * Math.Cos(b) - z.Z * Math.Sin(b), z.Y * Math.Sin(b) + z.Z * Math.Cos(b));
        }
        return new VolumeGeometry(ni, nj, nk, Rotate(new Vec3(0.7, 0, 0)), Rotate(new Vec3(0, 1.3, 0)), Rotate(new Vec3(0, 0, 2.9)),
            new Vec3(-12.5, 40.25, 7.75));
    }

    /// <summary>RAS positions (mm) of all 8 outer voxel corners (centres ± half a voxel) must agree within the tolerance.</summary>
    public static void AssertSameCorners(VolumeGeometry expected, VolumeGeometry actual, double toleranceMm = 1e-4)
    {
        Assert.Equal((expected.SizeI, expected.SizeJ, expected.SizeK), (actual.SizeI, actual.SizeJ, actual.SizeK));
        for (int c = 0; c < 8; c++)
        {
            var ijk = new Vec3((c & 1) == 0 ? -0.5 : expected.SizeI - 0.5, (c & 2) == 0 ? -0.5 : expected.SizeJ - 0.5,
                (c & 4) == 0 ? -0.5 : expected.SizeK - 0.5);
            double error = (expected.IjkToRasPoint(ijk) - actual.IjkToRasPoint(ijk)).Length;
            Assert.True(error <= toleranceMm, $"corner {ijk}: {expected.IjkToRasPoint(ijk)} vs {actual.IjkToRasPoint(ijk)} ({error:E2} mm)");
        }
    }

    public static byte[] Pattern(long count)
    {
        var mask = new byte[count];
        for (long n = 0; n < count; n++) mask[n] = (byte)(n * 7 % 3 == 0 ? 1 : 0);
        return mask;
    }

    public static string TempPath(string suffix) => Path.Combine(Path.GetTempPath(), $"sb-io-{Guid.NewGuid():N}{suffix}");
}
