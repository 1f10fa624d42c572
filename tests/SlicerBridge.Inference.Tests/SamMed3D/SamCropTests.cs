using SlicerBridge.Inference.Models.SamMed3D.Pipeline;
using SlicerBridge.Inference.Volumes;
using static SlicerBridge.Inference.Tests.SamMed3D.CanonicalGridTests;

namespace SlicerBridge.Inference.Tests.SamMed3D;

public class SamCropTests
{
    private static double LinearField(Vec3 ras) => 2 * ras.X + 3 * ras.Y - ras.Z + 500;

    /// <summary>An oblique, anisotropic volume whose voxel values are <see cref="LinearField"/> of their RAS centre.</summary>
    private static Volume ObliqueLinearVolume()
    {
        double c = Math.Cos(0.35), s = Math.Sin(0.35);
        var geometry = new VolumeGeometry(62, 52, 31, // not multiples of 1.5 mm: the resampled grid overhangs the source
            new Vec3(c, s, 0) * 0.8, new Vec3(-s, c, 0) * 0.9, new Vec3(0, 0, 2.0), new Vec3(-20, -25, 0));
        return FillFromRas(geometry, LinearField);
    }

    internal static Volume FillFromRas(VolumeGeometry g, Func<Vec3, double> f)
    {
        var voxels = new float[g.VoxelCount];
        for (int k = 0; k < g.SizeK; k++)
            for (int j = 0; j < g.SizeJ; j++)
                for (int i = 0; i < g.SizeI; i++)
                    voxels[g.Index(i, j, k)] = (float)f(g.IjkToRasPoint(new Vec3(i, j, k)));
        return new Volume(g, voxels);
    }

    private static int At(int size, int a0, int a1, int a2) => (a0 * size + a1) * size + a2;

    [Fact]
    public void Centered_PutsTheVoxelNearestTheCentreAtHalfTheSize()
    {
        var grid = CanonicalGrid.For(VolumeGeometry.AxisAligned(40, 40, 40, new Vec3(1, 1, 1), new Vec3(0, 0, 0)));
        var crop = SamCrop.Centered(grid, new Vec3(10.4, 10.6, -3.5));
        Assert.Equal((-54, -53, -67, 128), (crop.Start0, crop.Start1, crop.Start2, crop.Size));
        AssertClose(grid.ToRas(new Vec3(10, 11, -3)), crop.Geometry.IjkToRasPoint(new Vec3(64, 64, 64)));
        AssertClose(new Vec3(64, 64, 64), crop.ToCropIndex(grid.ToRas(new Vec3(10, 11, -3))));

        var small = SamCrop.Centered(grid, new Vec3(5, 5, 5), size: 16);
        Assert.Equal((-3, -3, -3, 16), (small.Start0, small.Start1, small.Start2, small.Size));
    }

    [Fact]
    public void ContainsCropIndex_IsTheHalfOpenVoxelExtent()
    {
        var grid = CanonicalGrid.For(VolumeGeometry.AxisAligned(40, 40, 40, new Vec3(1, 1, 1), new Vec3(0, 0, 0)));
        var crop = SamCrop.At(grid, 0, 0, 0, size: 8);
        Assert.True(crop.ContainsCropIndex(new Vec3(-0.5, 0, 7.49)));
        Assert.False(crop.ContainsCropIndex(new Vec3(-0.51, 0, 0)));
        Assert.False(crop.ContainsCropIndex(new Vec3(0, 7.5, 0)));
        Assert.False(crop.ContainsCropIndex(new Vec3(0, 0, double.NaN)));
    }

    [Fact]
    public void SampleRaw_ReproducesALinearFieldInside_AndPadsOutside()
    {
        Volume source = ObliqueLinearVolume();
        var grid = CanonicalGrid.For(source.Geometry);
        const int n = 64;
        // Off-centre so that part of the window lies beyond the volume.
        var crop = SamCrop.Centered(grid, new Vec3(grid.Size0 * 0.8, grid.Size1 * 0.3, grid.Size2 * 0.5), n);
        float[] raw = crop.SampleRaw(source);
        Assert.Equal(n * n * n, raw.Length);

        VolumeGeometry sg = source.Geometry;
        int interior = 0, outside = 0;
        for (int a0 = 0; a0 < n; a0++)
            for (int a1 = 0; a1 < n; a1++)
                for (int a2 = 0; a2 < n; a2++)
                {
                    Vec3 ras = crop.Geometry.IjkToRasPoint(new Vec3(a0, a1, a2));
                    Vec3 idx = sg.RasToIjkPoint(ras);
                    float actual = raw[At(n, a0, a1, a2)];
                    bool inGrid = grid.Geometry.Contains(crop.Start0 + a0, crop.Start1 + a1, crop.Start2 + a2);
                    if (!inGrid || !sg.ContainsContinuous(idx))
                    {
                        Assert.Equal(0f, actual);
                        outside++;
                    }
                    else if (idx.X >= 0 && idx.X <= sg.SizeI - 1 && idx.Y >= 0 && idx.Y <= sg.SizeJ - 1 && idx.Z >= 0 && idx.Z <= sg.SizeK - 1)
                    {
                        double expected = LinearField(ras);
                        Assert.True(Math.Abs(actual - expected) < 2e-3, $"({a0},{a1},{a2}): expected {expected}, got {actual}");
                        interior++;
                    }
                }
        Assert.True(interior > 10_000, $"only {interior} interior voxels checked");
        Assert.True(outside > 10_000, $"only {outside} padding voxels checked");
    }

    [Fact]
    public void SampleRaw_RepeatsTheEdgeVoxelUpToTheHalfVoxelBorder_AndPadsBeyond()
    {
        // 1 mm source resampled to 0.5 mm: the first new voxel sits at old index −0.25, the last at 3.25.
        var source = FillFromRas(VolumeGeometry.AxisAligned(4, 1, 1, new Vec3(1, 1, 1), new Vec3(0, 0, 0)), ras => 10 + 4 * ras.X);
        var grid = CanonicalGrid.For(source.Geometry, spacingMm: 0.5);
        Assert.Equal((8, 2, 2), (grid.Size0, grid.Size1, grid.Size2));
        const int n = 10;
        float[] raw = SamCrop.At(grid, -1, 0, 0, n).SampleRaw(source);

        float[] expectedAlongA0 = [0, 10, 11, 13, 15, 17, 19, 21, 22, 0];
        for (int a0 = 0; a0 < n; a0++)
            Assert.Equal(expectedAlongA0[a0], raw[At(n, a0, 0, 0)], 5);
    }

    [Fact]
    public void SampleRaw_ClampsVoxelsInsideTheSourceOnly()
    {
        var source = FillFromRas(VolumeGeometry.AxisAligned(8, 8, 8, new Vec3(1.5, 1.5, 1.5), new Vec3(0, 0, 0)),
            ras => ras.X < 5 ? -3000 : 2500);
        var grid = CanonicalGrid.For(source.Geometry);
        const int n = 12;
        float[] raw = SamCrop.At(grid, -2, -2, -2, n).SampleRaw(source, clampMin: -1000, clampMax: 1000);
        Assert.Equal(-1000f, raw[At(n, 2, 2, 2)]);
        Assert.Equal(1000f, raw[At(n, 9, 2, 2)]);
        Assert.Equal(0f, raw[At(n, 1, 2, 2)]);
        Assert.Equal(0f, raw[At(n, 10, 2, 2)]);
        Assert.All(raw, v => Assert.InRange(v, -1000f, 1000f));
    }

    [Fact]
    public void ZNormalizeMasked_GivesZeroMeanAndUnitUnbiasedStdOverThePositiveVoxels()
    {
        var rng = new Random(7);
        var values = new float[5000];
        for (int i = 0; i < values.Length; i++) values[i] = i % 3 == 0 ? 0 : (float)(rng.NextDouble() * 400 - 100);
        bool[] positive = values.Select(v => v > 0).ToArray();
        float[] before = (float[])values.Clone();

        SamCrop.ZNormalizeMasked(values);

        double[] masked = values.Where((_, i) => positive[i]).Select(v => (double)v).ToArray();
        double mean = masked.Average();
        double unbiasedStd = Math.Sqrt(masked.Sum(v => (v - mean) * (v - mean)) / (masked.Length - 1));
        Assert.Equal(0, mean, 4);
        Assert.Equal(1, unbiasedStd, 4);

        // The same affine map applies to the unmasked voxels (zeros and negatives).
        double scale = (values[1] - values[2]) / (before[1] - before[2]);
        double offset = values[1] - scale * before[1];
        for (int i = 0; i < values.Length; i += 3)
            Assert.Equal(offset + scale * before[i], values[i], 3);
    }

    [Fact]
    public void ZNormalizeMasked_WithoutEnoughPositiveVoxels_OnlyShifts()
    {
        float[] one = [0, -2, 5, 0];
        SamCrop.ZNormalizeMasked(one);
        Assert.Equal([-5f, -7f, 0f, -5f], one);

        float[] none = [0, -2, -1];
        SamCrop.ZNormalizeMasked(none);
        Assert.Equal([0f, -2f, -1f], none);

        float[] constant = [3, 3, 3, 0];
        SamCrop.ZNormalizeMasked(constant);
        Assert.Equal([0f, 0f, 0f, -3f], constant);
    }

    [Fact]
    public void Sample_IsSampleRawThenMaskedZNormalisation()
    {
        Volume source = ObliqueLinearVolume();
        var grid = CanonicalGrid.For(source.Geometry);
        var crop = SamCrop.Centered(grid, new Vec3(grid.Size0 / 2.0, grid.Size1 / 2.0, grid.Size2 / 2.0), 32);
        float[] expected = crop.SampleRaw(source, -1000, 520);
        SamCrop.ZNormalizeMasked(expected);
        Assert.Equal(expected, crop.Sample(source, -1000, 520));
    }
}
