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
    public void LpsDirections_AnchorTheLatticeAtTheLowestVoxelCentre()
    {
        var source = new VolumeGeometry(60, 50, 10,
            new Vec3(-0.8, 0, 0), new Vec3(0, -0.8, 0), new Vec3(0, 0, 2.5), new Vec3(100, 50, -20));
        var grid = CanonicalGrid.For(source);

        Assert.Equal((32, 27, 17), (grid.Size0, grid.Size1, grid.Size2)); // ceil(60·0.8/1.5), ceil(50·0.8/1.5), ceil(10·2.5/1.5)
        // The lowest voxel centres along R and A are the last stored ones (100 − 0.8·59, 50 − 0.8·49); from there the
        // Resample offset 0.5·(1.5 − s) toward +R/+A/+S, exactly as for the same scan stored RAS.
        AssertClose(new Vec3(52.8 + 0.35, 10.8 + 0.35, -20.5), grid.Geometry.Origin);
        AssertClose(new Vec3(1.5, 0, 0), grid.Geometry.ColumnI);
        AssertClose(new Vec3(0, 1.5, 0), grid.Geometry.ColumnJ);
        AssertClose(new Vec3(0, 0, 1.5), grid.Geometry.ColumnK);
        AssertSameGrid(CanonicalGrid.For(VolumeGeometry.AxisAligned(60, 50, 10, new Vec3(0.8, 0.8, 2.5), new Vec3(52.8, 10.8, -20))), grid);
    }

    /// <summary>The same voxels stored with axis <paramref name="axis"/> reversed.</summary>
    internal static VolumeGeometry Flipped(VolumeGeometry g, int axis)
    {
        Vec3[] c = [g.ColumnI, g.ColumnJ, g.ColumnK];
        int[] n = [g.SizeI, g.SizeJ, g.SizeK];
        Vec3 origin = g.Origin + c[axis] * (n[axis] - 1);
        c[axis] = c[axis] * -1;
        return new VolumeGeometry(n[0], n[1], n[2], c[0], c[1], c[2], origin);
    }

    /// <summary>The same voxels stored with the axes in the order <paramref name="order"/> (new axis a = old axis order[a]).</summary>
    internal static VolumeGeometry Permuted(VolumeGeometry g, int[] order)
    {
        Vec3[] c = [g.ColumnI, g.ColumnJ, g.ColumnK];
        int[] n = [g.SizeI, g.SizeJ, g.SizeK];
        return new VolumeGeometry(n[order[0]], n[order[1]], n[order[2]], c[order[0]], c[order[1]], c[order[2]], g.Origin);
    }

    private static void AssertSameGrid(CanonicalGrid expected, CanonicalGrid actual)
    {
        Assert.Equal((expected.Size0, expected.Size1, expected.Size2), (actual.Size0, actual.Size1, actual.Size2));
        AssertClose(expected.Geometry.Origin, actual.Geometry.Origin);
        AssertClose(expected.Geometry.ColumnI, actual.Geometry.ColumnI);
        AssertClose(expected.Geometry.ColumnJ, actual.Geometry.ColumnJ);
        AssertClose(expected.Geometry.ColumnK, actual.Geometry.ColumnK);
    }

    [Theory]
    [InlineData(0.0)]  // axis-aligned
    [InlineData(0.2)]  // oblique: rotated about S
    public void The_same_scan_stored_flipped_or_permuted_gets_the_same_grid(double angle)
    {
        double c = Math.Cos(angle), s = Math.Sin(angle);
        var ras = new VolumeGeometry(61, 47, 23, new Vec3(c, s, 0) * 0.9, new Vec3(-s, c, 0) * 1.1, new Vec3(0, 0, 2.7), new Vec3(-31.3, 12.9, 40.1));
        var reference = CanonicalGrid.For(ras);
        foreach (var storage in new[]
        {
            Flipped(ras, 0), Flipped(Flipped(ras, 0), 1), Flipped(ras, 2), Permuted(ras, [2, 0, 1]), Permuted(Flipped(Flipped(ras, 0), 1), [1, 2, 0]),
        })
            AssertSameGrid(reference, CanonicalGrid.For(storage));
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

        // Voxel 0 sits at the lowest stored voxel centre along each canonical direction (I and K are stored flipped),
        // moved by 0.5·(1.5 − s) along it.
        Vec3 expected = source.Origin + colI * 89 + colK * 69
            + (colI * (-1 / 0.5)) * (0.5 * (1.5 - 0.5)) + (colJ * (1 / 3.0)) * (0.5 * (1.5 - 3)) + (colK * -1) * (0.5 * (1.5 - 1));
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
