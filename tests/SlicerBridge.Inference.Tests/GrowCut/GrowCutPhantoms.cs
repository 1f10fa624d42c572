using SlicerBridge.Inference.Volumes;

namespace SlicerBridge.Inference.Tests.GrowCut;

/// <summary>Synthetic volumes with known truth for the GrowCut tests.</summary>
internal static class GrowCutPhantoms
{
    /// <summary>Two touching spheres (radius r mm, centres 2r apart along R) of intensities a and b on background 0, with seeded noise.</summary>
    public static (Volume Volume, byte[] Left, byte[] Right, Vec3 LeftCentre, Vec3 RightCentre) TwoSpheres(
        Vec3 spacing, double radiusMm = 10, float a = 100, float b = 200, float noise = 2, int seed = 7)
    {
        int ni = (int)Math.Ceiling(60 / spacing.X), nj = (int)Math.Ceiling(40 / spacing.Y), nk = (int)Math.Ceiling(40 / spacing.Z);
        var g = VolumeGeometry.AxisAligned(ni, nj, nk, spacing, new Vec3(0, 0, 0));
        var left = new Vec3(30 - radiusMm, 20, 20);
        var right = new Vec3(30 + radiusMm, 20, 20);
        var voxels = new float[g.VoxelCount];
        var leftMask = new byte[g.VoxelCount];
        var rightMask = new byte[g.VoxelCount];
        var random = new Random(seed);
        for (int k = 0; k < nk; k++)
            for (int j = 0; j < nj; j++)
                for (int i = 0; i < ni; i++)
                {
                    long n = g.Index(i, j, k);
                    Vec3 p = g.IjkToRasPoint(new Vec3(i, j, k));
                    float v = 0;
                    if ((p - left).Length <= radiusMm) { v = a; leftMask[n] = 1; }
                    else if ((p - right).Length <= radiusMm) { v = b; rightMask[n] = 1; }
                    voxels[n] = v + (float)((random.NextDouble() - 0.5) * 2 * noise);
                }
        return (new Volume(g, voxels, "two-spheres"), leftMask, rightMask, left, right);
    }

    public static double Dice(byte[] a, byte[] b)
    {
        long both = 0, sa = 0, sb = 0;
        for (int n = 0; n < a.Length; n++) { sa += a[n]; sb += b[n]; both += a[n] & b[n]; }
        return sa + sb == 0 ? 1 : 2.0 * both / (sa + sb);
    }
}
