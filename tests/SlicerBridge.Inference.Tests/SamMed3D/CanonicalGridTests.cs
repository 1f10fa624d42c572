using SlicerBridge.Inference.Models.SamMed3D.Pipeline;
using SlicerBridge.Inference.Volumes;

namespace SlicerBridge.Inference.Tests.SamMed3D;

public class CanonicalGridTests
{
    private const double Tol = 1e-9;

    [Fact]
    public void AxisAlignedRas_SizeAndOriginFollowTheResampleFormula()
    {
        var source = VolumeGeometry.AxisAligned(101, 80, 40, new Vec3(0.75, 0.75, 3.0), new Vec3(10, 20, 30));
        var grid = CanonicalGrid.For(source);

        // ceil(101·0.75/1.5) = ceil(50.5), ceil(80·0.75/1.5) = 40, ceil(40·3/1.5) = 80.
        Assert.Equal((51, 40, 80), (grid.Size0, grid.Size1, grid.Size2));
        // Origin = old continuous index 0.5·(1.5/s − 1): +0.5 voxel of 0.75 mm on I and J, −0.25 voxel of 3 mm on K.
        AssertClose(new Vec3(10 + 0.375, 20 + 0.375, 30 - 0.75), grid.Geometry.Origin);
        AssertClose(new Vec3(1.5, 0, 0), grid.Geometry.ColumnI);
        AssertClose(new Vec3(0, 1.5, 0), grid.Geometry.ColumnJ);
        AssertClose(new Vec3(0, 0, 1.5), grid.Geometry.ColumnK);
    }

    [Fact]
    public void CustomSpacing_IsUsed()
    {
        var source = VolumeGeometry.AxisAligned(10, 10, 10, new Vec3(1, 1, 1), new Vec3(0, 0, 0));
        var grid = CanonicalGrid.For(source, spacingMm: 2.0);
        Assert.Equal((5, 5, 5), (grid.Size0, grid.Size1, grid.Size2));
        AssertClose(new Vec3(0.5, 0.5, 0.5), grid.Geometry.Origin);
        AssertClose(new Vec3(2, 0, 0), grid.Geometry.ColumnI);
    }

    [Fact]
    public void LpsDirections_FlipAxesZeroAndOne_WithOriginAtTheFarCorner()
    {
        var source = new VolumeGeometry(60, 50, 10,
            new Vec3(-0.8, 0, 0), new Vec3(0, -0.8, 0), new Vec3(0, 0, 2.5), new Vec3(100, 50, -20));
        var grid = CanonicalGrid.For(source);

        // Resampled (before reorientation): sizes 32, 27, 17; origin at old index (0.4375, 0.4375, −0.2).
        Assert.Equal((32, 27, 17), (grid.Size0, grid.Size1, grid.Size2));
        var resampledOrigin = new Vec3(100 - 0.35, 50 - 0.35, -20.5);
        var resampledI = new Vec3(-1.5, 0, 0);
        var resampledJ = new Vec3(0, -1.5, 0);
        var resampledK = new Vec3(0, 0, 1.5);

        AssertClose(new Vec3(99.65 - 1.5 * 31, 49.65 - 1.5 * 26, -20.5), grid.Geometry.Origin);
        AssertClose(new Vec3(1.5, 0, 0), grid.Geometry.ColumnI);
        AssertClose(new Vec3(0, 1.5, 0), grid.Geometry.ColumnJ);
        AssertClose(new Vec3(0, 0, 1.5), grid.Geometry.ColumnK);

        // Resampled voxel (i, j, k) is canonical voxel (31−i, 26−j, k): same RAS centre.
        foreach (var (i, j, k) in new[] { (0, 0, 0), (31, 26, 16), (5, 20, 3) })
        {
            Vec3 ras = resampledOrigin + resampledI * i + resampledJ * j + resampledK * k;
            AssertClose(ras, grid.ToRas(new Vec3(31 - i, 26 - j, k)));
            AssertClose(new Vec3(31 - i, 26 - j, k), grid.ToIndex(ras));
        }
    }

    [Fact]
    public void PermutedAxes_AreReorderedToRas()
    {
        // I points to S (2 mm), J to R (1 mm), K to A (1 mm).
        var source = new VolumeGeometry(30, 40, 50,
            new Vec3(0, 0, 2), new Vec3(1, 0, 0), new Vec3(0, 1, 0), new Vec3(-5, 7, 11));
        var grid = CanonicalGrid.For(source);

        // Resampled sizes per source axis: I 40, J 27, K 34 → canonical (R, A, S) = (J, K, I).
        Assert.Equal((27, 34, 40), (grid.Size0, grid.Size1, grid.Size2));
        // Old continuous index (−0.125, 0.25, 0.25).
        AssertClose(new Vec3(-5 + 0.25, 7 + 0.25, 11 - 0.25), grid.Geometry.Origin);
        AssertClose(new Vec3(1.5, 0, 0), grid.Geometry.ColumnI);
        AssertClose(new Vec3(0, 1.5, 0), grid.Geometry.ColumnJ);
        AssertClose(new Vec3(0, 0, 1.5), grid.Geometry.ColumnK);
    }

    [Fact]
    public void PermutedAndFlipped_SlightlyOblique_MapsEachAxisToItsClosestRasAxis()
    {
        double c = Math.Cos(0.1), s = Math.Sin(0.1);
        // I ≈ −A, J ≈ +S, K ≈ −R, each tilted a little.
        var colI = new Vec3(s, -c, 0) * 0.5;
        var colJ = new Vec3(0, 0, 3);
        var colK = new Vec3(-c, -s, 0) * 1.0;
        var source = new VolumeGeometry(90, 12, 70, colI, colJ, colK, new Vec3(1, 2, 3));
        var grid = CanonicalGrid.For(source);

        // Resampled sizes: I 30, J 24, K 47 → canonical (R, A, S) = (K, I, J).
        Assert.Equal((47, 30, 24), (grid.Size0, grid.Size1, grid.Size2));
        AssertClose(new Vec3(c, s, 0) * 1.5, grid.Geometry.ColumnI);
        AssertClose(new Vec3(-s, c, 0) * 1.5, grid.Geometry.ColumnJ);
        AssertClose(new Vec3(0, 0, 1.5), grid.Geometry.ColumnK);

        // The canonical voxel (0,0,0) is resampled voxel (I = 29, J = 0, K = 46).
        Vec3 resampledOrigin = source.Origin + colI * (0.5 * (1.5 / 0.5 - 1)) + colJ * (0.5 * (1.5 / 3 - 1)) + colK * (0.5 * (1.5 - 1));
        Vec3 expected = resampledOrigin + colI * (3.0 * 29) + colK * (1.5 * 46);
        AssertClose(expected, grid.Geometry.Origin);
    }

    [Fact]
    public void ToIndexAndToRas_AreInverse()
    {
        var source = new VolumeGeometry(64, 64, 20, new Vec3(0.7, 0.1, 0), new Vec3(-0.1, 0.7, 0), new Vec3(0, 0, 5), new Vec3(-30, 40, 5));
        var grid = CanonicalGrid.For(source);
        var p = new Vec3(-12.3, 45.6, 30.1);
        AssertClose(p, grid.ToRas(grid.ToIndex(p)));
    }

    internal static void AssertClose(Vec3 expected, Vec3 actual, double tol = Tol) =>
        Assert.True((expected - actual).Length <= tol, $"expected {expected}, got {actual} (distance {(expected - actual).Length:E2})");
}
