using SlicerBridge.Inference.Models;
using SlicerBridge.Inference.Models.SamMed3D;
using SlicerBridge.Inference.Volumes;
using Xunit;

namespace SlicerBridge.Inference.Tests.SamMed3D;

/// <summary>The interactive pipeline around the network, with a stand-in network whose answer is known (geometry in RAS mm).</summary>
public sealed class SamMed3DModelTests
{
    /// <summary>An LPS-ordered (I → left, J → posterior), anisotropic volume with a rotated axis, 1 mm × 1.2 mm × 2 mm.</summary>
    private static Volume ObliqueVolume(int n = 96, float value = 100)
    {
        double c = Math.Cos(0.3), s = Math.Sin(0.3);
        var g = new VolumeGeometry(n, n, n / 2,
            new Vec3(-1.0 * c, -1.0 * s, 0), new Vec3(1.2 * s, -1.2 * c, 0), new Vec3(0, 0, 2.0), new Vec3(40, 30, -50));
        var voxels = new float[g.VoxelCount];
        var rng = new Random(3);
        for (int i = 0; i < voxels.Length; i++) voxels[i] = value + (float)rng.NextDouble();
        return new Volume(g, voxels, "oblique");
    }

    private static SamMed3DModel Model(FakeSamNetwork network, SamMed3DPipelineOptions? options = null) =>
        new("sam-med3d", network, options ?? new SamMed3DPipelineOptions(), "fake", 0);

    private static (Vec3 Centroid, long Count) MaskCentroid(Volume v, byte[] mask)
    {
        double x = 0, y = 0, z = 0; long n = 0;
        var g = v.Geometry;
        for (int k = 0; k < g.SizeK; k++)
            for (int j = 0; j < g.SizeJ; j++)
                for (int i = 0; i < g.SizeI; i++)
                    if (mask[g.Index(i, j, k)] != 0)
                    {
                        var p = g.IjkToRasPoint(new Vec3(i, j, k));
                        x += p.X; y += p.Y; z += p.Z; n++;
                    }
        return (n == 0 ? default : new Vec3(x / n, y / n, z / n), n);
    }

    [Fact]
    public void MaskLandsAroundTheClickInRasMillimetres()
    {
        var volume = ObliqueVolume();
        var click = volume.Geometry.IjkToRasPoint(new Vec3(50, 40, 20));
        var network = new FakeSamNetwork { RadiusVoxels = 8 };
        var result = Model(network).Segment(new SegmentationRequest { Volume = volume, Points = [new PromptPoint(click, true)] }, default);

        Assert.Equal(volume.Geometry.VoxelCount, result.Mask.Length);
        var (centroid, count) = MaskCentroid(volume, result.Mask);
        // A sphere of radius 8 crop voxels × 1.5 mm = 12 mm: volume ≈ 7238 mm³; voxels are 2.4 mm³.
        double expectedVoxels = 4.0 / 3 * Math.PI * Math.Pow(12, 3) / 2.4;
        Assert.InRange(count, expectedVoxels * 0.75, expectedVoxels * 1.25);
        Assert.True((centroid - click).Length < 1.5, $"mask centroid {centroid} is {(centroid - click).Length:F2} mm from the click {click}");
        // The click itself reached the network at the crop centre (within the nearest-voxel centring).
        var p = network.DecodedPoints[0][0];
        Assert.InRange(p.A0, 63.0f, 65.0f);
        Assert.InRange(p.A1, 63.0f, 65.0f);
        Assert.InRange(p.A2, 63.0f, 65.0f);
        Assert.Equal(1, p.Label);
    }

    [Fact]
    public void RoiClipsTheMask()
    {
        var volume = ObliqueVolume();
        var click = volume.Geometry.IjkToRasPoint(new Vec3(50, 40, 20));
        var roi = RoiBox.AxisAligned(click + new Vec3(5, 0, 0), new Vec3(10, 40, 40));
        var result = Model(new FakeSamNetwork { RadiusVoxels = 10 }).Segment(
            new SegmentationRequest { Volume = volume, Points = [new PromptPoint(click, true)], Roi = roi }, default);
        var g = volume.Geometry;
        long inside = 0;
        for (int k = 0; k < g.SizeK; k++)
            for (int j = 0; j < g.SizeJ; j++)
                for (int i = 0; i < g.SizeI; i++)
                    if (result.Mask[g.Index(i, j, k)] != 0)
                    {
                        Assert.True(roi.Contains(g.IjkToRasPoint(new Vec3(i, j, k))), $"voxel ({i},{j},{k}) is outside the ROI");
                        inside++;
                    }
        Assert.True(inside > 100);
    }

    [Fact]
    public void EmbeddingIsComputedOncePerScanAcrossVolumeObjectsAndClicks()
    {
        var a = ObliqueVolume();
        var b = new Volume(a.Geometry, (float[])a.Voxels.Clone(), "same scan, another client");
        var network = new FakeSamNetwork();
        var model = Model(network);
        var click = a.Geometry.IjkToRasPoint(new Vec3(50, 40, 20));
        var first = model.Segment(new SegmentationRequest { Volume = a, Points = [new PromptPoint(click, true)] }, default);
        var second = model.Segment(new SegmentationRequest
        {
            Volume = a,
            Points = [new PromptPoint(click, true), new PromptPoint(click + new Vec3(5, 5, 0), false)],
            Previous = first.State,
        }, default);
        model.Segment(new SegmentationRequest { Volume = b, Points = [new PromptPoint(click, true)] }, default);
        Assert.Equal(1, network.EncodeCalls);
        Assert.Equal(3, network.DecodeCalls);
        // Click 2 is cumulative and carries click 1's logits as the mask prompt; a new session starts from zeros.
        Assert.Equal(2, network.DecodedPoints[1].Length);
        Assert.Equal(((SamMed3DState)first.State!).LowResLogits, network.PromptLogits[1]);
        Assert.Empty(network.PromptLogits[0]);
        Assert.Empty(network.PromptLogits[2]);
        Assert.NotNull(second.State);

        var other = ObliqueVolume(value: 200);
        model.Segment(new SegmentationRequest { Volume = other, Points = [new PromptPoint(click, true)] }, default);
        Assert.Equal(2, network.EncodeCalls);
    }

    [Fact]
    public void ObjectsLargerThanOneCropExtendWithOverlappingCropsWithinTheLimit()
    {
        // 200 × 200 × 100 at 1.5 mm: bigger than one 128³ crop along the first two axes.
        var g = VolumeGeometry.AxisAligned(200, 200, 60, new Vec3(1.5, 1.5, 1.5), new Vec3(0, 0, 0));
        var volume = new Volume(g, Enumerable.Repeat(50f, (int)g.VoxelCount).ToArray());
        var click = g.IjkToRasPoint(new Vec3(60, 60, 30));

        var single = new FakeSamNetwork { Everything = true };
        var one = Model(single, new SamMed3DPipelineOptions { MaxCrops = 1 }).Segment(new SegmentationRequest { Volume = volume, Points = [new PromptPoint(click, true)] }, default);
        var several = new FakeSamNetwork { Everything = true };
        var many = Model(several, new SamMed3DPipelineOptions { MaxCrops = 9 }).Segment(new SegmentationRequest { Volume = volume, Points = [new PromptPoint(click, true)] }, default);

        Assert.Equal(1, single.DecodeCalls);
        Assert.InRange(several.DecodeCalls, 2, 9);
        long ones = one.Mask.LongCount(v => v != 0), more = many.Mask.LongCount(v => v != 0);
        Assert.True(more > ones, $"extension added nothing ({ones} → {more})");
        Assert.Equal(g.VoxelCount, more); // every voxel is reachable within 9 half-shifted crops
        // Extension crops are prompted with a positive click and the previous logits shifted into their frame.
        Assert.All(several.DecodedPoints.Skip(1), pts => Assert.Contains(pts, p => p.Label == 1));
        Assert.All(several.PromptLogits.Skip(1), l => Assert.Equal(32 * 32 * 32, l.Length));
    }

    [Fact]
    public void ExtensionStopsAtTheRoi()
    {
        var g = VolumeGeometry.AxisAligned(200, 200, 60, new Vec3(1.5, 1.5, 1.5), new Vec3(0, 0, 0));
        var volume = new Volume(g, Enumerable.Repeat(50f, (int)g.VoxelCount).ToArray());
        var click = g.IjkToRasPoint(new Vec3(60, 60, 30));
        var roi = RoiBox.AxisAligned(click, new Vec3(150, 150, 150)); // inside one crop (192 mm) around the click
        var network = new FakeSamNetwork { Everything = true };
        var result = Model(network, new SamMed3DPipelineOptions { MaxCrops = 9 }).Segment(
            new SegmentationRequest { Volume = volume, Points = [new PromptPoint(click, true)], Roi = roi }, default);
        Assert.Equal(1, network.DecodeCalls);
        Assert.All(Enumerable.Range(0, (int)g.VoxelCount).Where(i => result.Mask[i] != 0),
            i => Assert.True(roi.Contains(g.IjkToRasPoint(new Vec3(i % 200, i / 200 % 200, i / 40000)))));
    }

    [Fact]
    public void RoiWithoutClicksUsesItsCentre()
    {
        var volume = ObliqueVolume();
        var centre = volume.Geometry.IjkToRasPoint(new Vec3(48, 48, 24));
        var network = new FakeSamNetwork { RadiusVoxels = 6 };
        var result = Model(network).Segment(new SegmentationRequest { Volume = volume, Roi = RoiBox.AxisAligned(centre, new Vec3(60, 60, 60)) }, default);
        var (centroid, count) = MaskCentroid(volume, result.Mask);
        Assert.True(count > 0);
        Assert.True((centroid - centre).Length < 2.0);
    }

    [Fact]
    public void PreparingAnRoiEncodesOnceAheadOfTheClicksInsideIt()
    {
        var volume = ObliqueVolume();
        var centre = volume.Geometry.IjkToRasPoint(new Vec3(48, 48, 24));
        var roi = RoiBox.AxisAligned(centre, new Vec3(50, 50, 40));
        var network = new FakeSamNetwork { RadiusVoxels = 6 };
        var model = Model(network);
        ((ISegmentationModel)model).Prepare(volume, roi, default);
        Assert.Equal(1, network.EncodeCalls);
        Assert.Equal(0, network.DecodeCalls);

        var click = centre + new Vec3(8, -5, 3);
        var result = model.Segment(new SegmentationRequest { Volume = volume, Points = [new PromptPoint(click, true)], Roi = roi }, default);
        Assert.Equal(1, network.EncodeCalls); // the prepared embedding served the click
        var (centroid, count) = MaskCentroid(volume, result.Mask);
        Assert.True(count > 0);
        Assert.True((centroid - click).Length < 2.0, $"mask centroid {centroid} is {(centroid - click).Length:F2} mm from the click");

        ((ISegmentationModel)model).Prepare(volume, RoiBox.AxisAligned(centre, new Vec3(400, 400, 400)), default); // larger than a crop
        ((ISegmentationModel)model).Prepare(volume, null, default);
        Assert.Equal(1, network.EncodeCalls);
    }

    [Fact]
    public void BadPromptsAreSegmentationErrors()
    {
        var volume = ObliqueVolume();
        var model = Model(new FakeSamNetwork());
        var inside = volume.Geometry.IjkToRasPoint(new Vec3(50, 40, 20));
        Assert.Throws<SegmentationException>(() => model.Segment(new SegmentationRequest { Volume = volume, Points = [new PromptPoint(inside, false)] }, default));
        Assert.Throws<SegmentationException>(() => model.Segment(new SegmentationRequest { Volume = volume, Points = [new PromptPoint(new Vec3(double.NaN, 0, 0), true)] }, default));
        var ex = Assert.Throws<SegmentationException>(() => model.Segment(new SegmentationRequest { Volume = volume, Points = [new PromptPoint(new Vec3(1e5, 0, 0), true)] }, default));
        Assert.Contains("inside the volume", ex.Message);
    }

    [Fact]
    public void CancellationStopsBeforeWork()
    {
        var volume = ObliqueVolume();
        var network = new FakeSamNetwork();
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() => Model(network).Segment(
            new SegmentationRequest { Volume = volume, Points = [new PromptPoint(volume.Geometry.IjkToRasPoint(new Vec3(50, 40, 20)), true)] }, cts.Token));
        Assert.Equal(0, network.DecodeCalls);
    }
}
