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

    /// <summary>A ball (centre and radius in mm) of a synthetic volume.</summary>
    public readonly record struct Ball(Vec3 Centre, double RadiusMm);

    /// <summary>A cylinder (axis from <paramref name="From"/> to <paramref name="To"/>, radius in mm) of a synthetic volume.</summary>
    public readonly record struct Rod(Vec3 From, Vec3 To, double RadiusMm)
    {
        public bool Contains(Vec3 p)
        {
            Vec3 axis = To - From;
            double t = Math.Clamp((p - From).Dot(axis) / axis.Dot(axis), 0, 1);
            return (p - (From + axis * t)).Length <= RadiusMm;
        }
    }

    /// <summary>
    /// A 60×40×40 mm volume at 1 mm of balls and rods of intensity <paramref name="value"/> on background 0 with seeded
    /// noise; returns one mask per ball and per rod, in order.
    /// </summary>
    public static (Volume Volume, byte[][] Balls, byte[][] Rods) Shapes(Ball[] balls, Rod[] rods, float value = 100, float noise = 2, int seed = 11)
    {
        var g = VolumeGeometry.AxisAligned(60, 40, 40, new Vec3(1, 1, 1), new Vec3(0, 0, 0));
        var voxels = new float[g.VoxelCount];
        byte[][] ballMasks = balls.Select(_ => new byte[g.VoxelCount]).ToArray();
        byte[][] rodMasks = rods.Select(_ => new byte[g.VoxelCount]).ToArray();
        var random = new Random(seed);
        for (int k = 0; k < g.SizeK; k++)
            for (int j = 0; j < g.SizeJ; j++)
                for (int i = 0; i < g.SizeI; i++)
                {
                    long n = g.Index(i, j, k);
                    Vec3 p = g.IjkToRasPoint(new Vec3(i, j, k));
                    bool inside = false;
                    for (int b = 0; b < balls.Length; b++)
                        if ((p - balls[b].Centre).Length <= balls[b].RadiusMm) { ballMasks[b][n] = 1; inside = true; }
                    for (int r = 0; r < rods.Length; r++)
                        if (rods[r].Contains(p)) { rodMasks[r][n] = 1; inside = true; }
                    voxels[n] = (inside ? value : 0) + (float)((random.NextDouble() - 0.5) * 2 * noise);
                }
        return (new Volume(g, voxels, "shapes"), ballMasks, rodMasks);
    }

    /// <summary>Voxels set in <paramref name="mask"/> that are also set in <paramref name="part"/>, as a fraction of <paramref name="part"/>.</summary>
    public static double Covered(byte[] mask, byte[] part)
    {
        long both = 0, size = 0;
        for (int n = 0; n < part.Length; n++) { size += part[n]; both += part[n] & mask[n]; }
        return (double)both / size;
    }

    public static double Dice(byte[] a, byte[] b)
    {
        long both = 0, sa = 0, sb = 0;
        for (int n = 0; n < a.Length; n++) { sa += a[n]; sb += b[n]; both += a[n] & b[n]; }
        return sa + sb == 0 ? 1 : 2.0 * both / (sa + sb);
    }
}
