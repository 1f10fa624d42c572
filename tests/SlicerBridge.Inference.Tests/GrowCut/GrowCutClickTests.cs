using SlicerBridge.Inference.Models;
using SlicerBridge.Inference.Models.GrowCut;
using SlicerBridge.Inference.Volumes;
using static SlicerBridge.Inference.Tests.GrowCut.GrowCutPhantoms;

namespace SlicerBridge.Inference.Tests.GrowCut;

/// <summary>What one click does: a negative click removes the leak it sits in, a positive click adds the missed part it sits in, far clicks change nothing.</summary>
public class GrowCutClickTests
{
    private static readonly RoiBox WholeVolume = RoiBox.FromCorners(new Vec3(1, 1, 1), new Vec3(58, 38, 38));

    private static SegmentationResult Click(GrowCutModel model, Volume volume, PromptPoint[] points, RoiBox? roi, SegmentationResult? previous) =>
        model.Segment(new SegmentationRequest { Volume = volume, Points = points, Roi = roi, Previous = previous?.State }, CancellationToken.None);

    [Fact]
    public void LeakThroughAThinBridge_IsCutByOneNegativeClickOnTheLeak()
    {
        // Structure (r 8 mm) and leak (r 9 mm) of the same intensity, joined by a 1.5 mm bridge: the first click fills all three.
        var structure = new Ball(new Vec3(14, 20, 20), 8);
        var leak = new Ball(new Vec3(42, 20, 20), 9);
        var (volume, balls, rods) = Shapes([structure, leak], [new Rod(new Vec3(22, 20, 20), new Vec3(33, 20, 20), 1.5)]);
        using var model = new GrowCutModel();
        PromptPoint positive = new(structure.Centre, true), negative = new(leak.Centre, false);
        var first = Click(model, volume, [positive], WholeVolume, null);
        Assert.True(Covered(first.Mask, balls[1]) > 0.9, $"precondition: the first click leaks ({Covered(first.Mask, balls[1]):0.000} of the leak)");

        var second = Click(model, volume, [positive, negative], WholeVolume, first);
        Assert.True(Covered(second.Mask, balls[1]) < 0.01, $"{Covered(second.Mask, balls[1]):0.000} of the leak is left");
        Assert.True(Covered(second.Mask, balls[0]) > 0.99, $"{Covered(second.Mask, balls[0]):0.000} of the structure is left");
        Assert.True(Dice(second.Mask, balls[0]) > Dice(first.Mask, balls[0]) + 0.3);
        // The cut is in the bridge: nothing of the bridge's leak half is left.
        var g = volume.Geometry;
        for (int k = 0; k < g.SizeK; k++)
            for (int j = 0; j < g.SizeJ; j++)
                for (int i = 30; i < g.SizeI; i++)
                    Assert.Equal(0, second.Mask[g.Index(i, j, k)]);
    }

    [Fact]
    public void MissedLobe_IsAddedByOnePositiveClick()
    {
        // Without an ROI the first click stops at about twice its depth, short of a lobe at the end of a 12 mm neck.
        var body = new Ball(new Vec3(14, 20, 20), 8);
        var lobe = new Ball(new Vec3(42, 20, 20), 6);
        var (volume, balls, rods) = Shapes([body, lobe], [new Rod(new Vec3(22, 20, 20), new Vec3(36, 20, 20), 2.5)]);
        using var model = new GrowCutModel();
        PromptPoint first = new(body.Centre, true), second = new(lobe.Centre, true);
        var one = Click(model, volume, [first], null, null);
        Assert.True(Covered(one.Mask, balls[0]) > 0.97, $"{Covered(one.Mask, balls[0]):0.000} of the body");
        Assert.True(Covered(one.Mask, balls[1]) < 0.05, $"precondition: the lobe is missed ({Covered(one.Mask, balls[1]):0.000} of it)");

        var two = Click(model, volume, [first, second], null, one);
        Assert.True(Covered(two.Mask, balls[1]) > 0.97, $"{Covered(two.Mask, balls[1]):0.000} of the lobe");
        Assert.True(Covered(two.Mask, rods[0]) > 0.9, $"{Covered(two.Mask, rods[0]):0.000} of the neck");
        Assert.True(Covered(two.Mask, balls[0]) > 0.97, $"{Covered(two.Mask, balls[0]):0.000} of the body");
        long outside = two.Mask.Select((v, n) => v & (1 - balls[0][n]) & (1 - balls[1][n]) & (1 - rods[0][n])).Sum(v => (long)v);
        Assert.True(outside < 60, $"{outside} voxels of background added");
    }

    [Fact]
    public void ClicksFarFromARegion_DoNotChangeIt()
    {
        // Two separate blobs: the first click takes the left one only.
        var left = new Ball(new Vec3(14, 20, 20), 8);
        var right = new Ball(new Vec3(44, 20, 20), 8);
        var (volume, balls, _) = Shapes([left, right], []);
        var g = volume.Geometry;
        using var model = new GrowCutModel();
        PromptPoint onLeft = new(left.Centre, true);
        var one = Click(model, volume, [onLeft], WholeVolume, null);
        Assert.True(Dice(one.Mask, balls[0]) > 0.95, $"Dice {Dice(one.Mask, balls[0]):0.000}");
        Assert.True(Covered(one.Mask, balls[1]) < 0.01);

        // A negative click in the background far from the mask changes nothing at all.
        var background = Click(model, volume, [onLeft, new PromptPoint(new Vec3(30, 6, 32), false)], WholeVolume, one);
        Assert.Equal(one.Mask, background.Mask);

        // A positive click on the right blob adds it and leaves every voxel of the left half as it was.
        var both = Click(model, volume, [onLeft, new PromptPoint(right.Centre, true)], WholeVolume, one);
        Assert.True(Covered(both.Mask, balls[1]) > 0.95, $"{Covered(both.Mask, balls[1]):0.000} of the right blob");
        AssertSameWhere(one.Mask, both.Mask, g, i => i < 29);

        // A negative click on the right blob carves it (its positive click's seed stays) and leaves the left half as it was.
        var carved = Click(model, volume, [onLeft, new PromptPoint(right.Centre, true), new PromptPoint(right.Centre + new Vec3(0, 4, 0), false)],
            WholeVolume, both);
        Assert.InRange(Covered(carved.Mask, balls[1]), 0.2, 0.8);
        AssertSameWhere(one.Mask, carved.Mask, g, i => i < 29);
    }

    [Fact]
    public void NegativeClick_NearTheStructure_TakesNoMoreThanItsReach()
    {
        // Even a negative click inside the structure itself removes a bounded ball around it, not the structure.
        var ball = new Ball(new Vec3(30, 20, 20), 12);
        var (volume, balls, _) = Shapes([ball], []);
        using var model = new GrowCutModel();
        PromptPoint positive = new(ball.Centre - new Vec3(6, 0, 0), true);
        var one = Click(model, volume, [positive], WholeVolume, null);
        var two = Click(model, volume, [positive, new PromptPoint(ball.Centre + new Vec3(9, 0, 0), false)], WholeVolume, one);
        // The click is 3 mm deep, so it may reach 2.5 × 3 = 7.5 mm: everything it removed lies within that of it.
        var g = volume.Geometry;
        int changed = 0;
        for (int k = 0; k < g.SizeK; k++)
            for (int j = 0; j < g.SizeJ; j++)
                for (int i = 0; i < g.SizeI; i++)
                {
                    long n = g.Index(i, j, k);
                    if (one.Mask[n] == two.Mask[n]) continue;
                    changed++;
                    Assert.Equal(0, two.Mask[n]);
                    Assert.True((g.IjkToRasPoint(new Vec3(i, j, k)) - (ball.Centre + new Vec3(9, 0, 0))).Length <= 7.5 + 1.0);
                }
        Assert.True(changed > 50, $"only {changed} voxels removed");
        Assert.True(Covered(two.Mask, balls[0]) > 0.8);
    }

    [Fact]
    public void PositiveCorrection_AddsOnlyTissueLikeTheMaskOrTheClick()
    {
        // The missed-lobe phantom plus a blob of 70 touching the lobe: closer to the lobe's 100 than to the background's 0,
        // so plain competition would hand it to the lobe's click; the intensity gate keeps it out unless it is clicked.
        var body = new Ball(new Vec3(14, 20, 20), 8);
        var lobe = new Ball(new Vec3(42, 20, 20), 6);
        var (volume, balls, _) = Shapes([body, lobe], [new Rod(new Vec3(22, 20, 20), new Vec3(36, 20, 20), 2.5)]);
        var blob = new Ball(new Vec3(42, 31, 20), 5);
        var g = volume.Geometry;
        var blobMask = new byte[g.VoxelCount];
        for (int k = 0; k < g.SizeK; k++)
            for (int j = 0; j < g.SizeJ; j++)
                for (int i = 0; i < g.SizeI; i++)
                {
                    long n = g.Index(i, j, k);
                    if ((g.IjkToRasPoint(new Vec3(i, j, k)) - blob.Centre).Length > blob.RadiusMm || balls[1][n] != 0) continue;
                    blobMask[n] = 1;
                    volume.Voxels[n] += 70;
                }
        using var model = new GrowCutModel();
        PromptPoint first = new(body.Centre, true);
        var one = Click(model, volume, [first], null, null);
        Assert.True(Covered(one.Mask, blobMask) < 0.01, "precondition: the first click does not reach the blob");

        var onLobe = Click(model, volume, [first, new PromptPoint(lobe.Centre, true)], null, one);
        Assert.True(Covered(onLobe.Mask, balls[1]) > 0.97, $"{Covered(onLobe.Mask, balls[1]):0.000} of the lobe");
        Assert.True(Covered(onLobe.Mask, blobMask) < 0.05, $"{Covered(onLobe.Mask, blobMask):0.000} of the blob added by a click on the lobe");

        using var ungated = new GrowCutModel(new GrowCutOptions { PositiveIntensityQuantile = 0 });
        var ungatedOne = Click(ungated, volume, [first], null, null);
        var ungatedLobe = Click(ungated, volume, [first, new PromptPoint(lobe.Centre, true)], null, ungatedOne);
        Assert.True(Covered(ungatedLobe.Mask, blobMask) > 0.3, $"precondition: without the gate the blob is added ({Covered(ungatedLobe.Mask, blobMask):0.000})");

        var onBlob = Click(model, volume, [first, new PromptPoint(lobe.Centre, true), new PromptPoint(blob.Centre + new Vec3(0, 1, 0), true)], null, onLobe);
        Assert.True(Covered(onBlob.Mask, blobMask) > 0.9, $"{Covered(onBlob.Mask, blobMask):0.000} of the blob added by a click on it");
    }

    [Fact]
    public void WithoutRoi_ClicksNearTheStructureKeepTheRegion_AndIncrementalEqualsReplay()
    {
        var body = new Ball(new Vec3(14, 20, 20), 8);
        var lobe = new Ball(new Vec3(42, 20, 20), 6);
        var (volume, _, _) = Shapes([body, lobe], [new Rod(new Vec3(22, 20, 20), new Vec3(36, 20, 20), 2.5)], noise: 6);
        using var model = new GrowCutModel(new GrowCutOptions { MarginMm = 20 });
        PromptPoint[] clicks =
        [
            new(body.Centre, true), new(body.Centre + new Vec3(0, 5, 0), false), new(body.Centre + new Vec3(6, 0, 0), true),
            new(lobe.Centre, true), new(lobe.Centre + new Vec3(0, 3, 0), false),
        ];
        SegmentationResult? previous = null;
        var regions = new List<GrowCutRegion>();
        for (int n = 1; n <= clicks.Length; n++)
        {
            var incremental = Click(model, volume, clicks[..n], null, previous);
            var replay = Click(model, volume, clicks[..n], null, null);
            Assert.Equal(replay.Mask, incremental.Mask);
            regions.Add(((GrowCutState)incremental.State!).Region);
            previous = incremental;
        }
        // Clicks 2 and 3 lie within half the margin of the first box; the lobe click (28 mm away) widens it.
        Assert.Equal(regions[0], regions[1]);
        Assert.Equal(regions[0], regions[2]);
        Assert.NotEqual(regions[2], regions[3]);
        Assert.True(regions[3].I1 > regions[2].I1);
        Assert.Equal(regions[3], regions[4]);
    }

    private static void AssertSameWhere(byte[] expected, byte[] actual, VolumeGeometry g, Func<int, bool> column)
    {
        for (int k = 0; k < g.SizeK; k++)
            for (int j = 0; j < g.SizeJ; j++)
                for (int i = 0; i < g.SizeI; i++)
                    if (column(i)) Assert.Equal(expected[g.Index(i, j, k)], actual[g.Index(i, j, k)]);
    }
}
