using SlicerBridge.Inference.IO;
using SlicerBridge.Inference.Models;
using SlicerBridge.Inference.Models.CtSam3D;
using SlicerBridge.Inference.Onnx;
using SlicerBridge.Inference.Volumes;
using Xunit;

namespace SlicerBridge.Inference.Tests.CtSam3D;

/// <summary>
/// The interactive pipeline with the fixture's network on a volume made from the fixture's own HU patch: on an
/// identity-LPS 1.5 mm grid the official grid is the volume's, so the patch around voxel (32, 32, 32) is the fixture
/// input and the pasted mask must be the fixture's click mask (flips only within 1e-4 of 0.5).
/// </summary>
public sealed class CtSam3DModelTests : IDisposable
{
    private static string Fixture(string file) => TestPaths.Fixture("ct-sam3d-tiny", file);
    private static readonly (int X, int Y, int Z, bool Positive)[] FixtureClicks = [(32, 32, 32, true), (44, 20, 28, false), (36, 35, 30, true), (3, 61, 50, true)];
    private readonly List<IDisposable> _owned = [];

    public void Dispose()
    {
        foreach (var d in _owned) d.Dispose();
    }

    private CtSam3DModel Model(int maxPatches = 1)
    {
        var config = CtSam3DConfig.FromFile(Fixture("fixture.json"));
        var model = new CtSam3DModel("ct", CtSam3DNetwork.Load(Fixture("checkpoint.pth"), config, ExecutionDevice.Cpu),
            new CtSam3DPipelineOptions { MaxPatches = maxPatches }, "checkpoint.pth");
        _owned.Add(model);
        return model;
    }

    /// <summary>The fixture HU patch as an int16 volume, identity LPS direction, 1.5 mm, optionally with the neighbour patch beyond +x.</summary>
    private static Volume FixtureVolume(bool withNeighbour = false)
    {
        var hu = NpyFile.Read(Fixture("patch_hu.npy")).ToFloat32();
        int nx = withNeighbour ? 128 : 64;
        var voxels = new float[nx * 64 * 64];
        var neighbour = withNeighbour ? NpyFile.Read(Fixture("cpp_neighbor_patch.npy")).ToFloat32() : null;
        for (int z = 0; z < 64; z++)
            for (int y = 0; y < 64; y++)
                for (int x = 0; x < nx; x++)
                    voxels[(z * 64 + y) * nx + x] = x < 64
                        ? hu[(z * 64 + y) * 64 + x]
                        : MathF.Round(neighbour![(z * 64 + y) * 64 + x - 64] * 350 - 125);   // back to HU (clipped values stay at the window's ends)
        var g = new VolumeGeometry(nx, 64, 64, new Vec3(-1.5, 0, 0), new Vec3(0, -1.5, 0), new Vec3(0, 0, 1.5), new Vec3(-12, 30, -40));
        return new Volume(g, voxels, "fixture-ct", VoxelType.Int16);
    }

    private static PromptPoint Point(Volume v, int x, int y, int z, bool positive) => new(v.Geometry.IjkToRasPoint(new Vec3(x, y, z)), positive);

    private static void AssertFixtureMask(int click, byte[] actual, int nx = 64)
    {
        var expected = NpyFile.Read(Fixture($"click{click}_mask.npy")).Data;
        var probability = NpyFile.Read(Fixture($"click{click}_prob.npy")).ToFloat32();
        int flips = 0;
        for (int z = 0; z < 64; z++)
            for (int y = 0; y < 64; y++)
                for (int x = 0; x < 64; x++)
                {
                    int i = (z * 64 + y) * 64 + x;
                    if (expected[i] == actual[(z * 64 + y) * nx + x]) continue;
                    flips++;
                    Assert.True(MathF.Abs(probability[i] - 0.5f) < 1e-4f, $"click {click}: voxel {i} differs with fixture probability {probability[i]}");
                }
        Assert.True(flips < 10, $"click {click}: {flips} flips");
    }

    [Fact]
    public void ClicksOneByOneGiveTheFixtureMasksAndEncodeOnce()
    {
        var model = Model();
        var volume = FixtureVolume();
        var points = new List<PromptPoint>();
        ModelState? state = null;
        for (int k = 0; k < FixtureClicks.Length; k++)
        {
            var (x, y, z, positive) = FixtureClicks[k];
            points.Add(Point(volume, x, y, z, positive));
            var result = model.Segment(new SegmentationRequest { Volume = volume, Points = points.ToList(), Previous = state }, CancellationToken.None);
            AssertFixtureMask(k + 1, result.Mask);
            state = result.State;
        }
        Assert.Equal(1, model.Cache.Count);
        Assert.True(model.CacheBytes > 0);
    }

    [Fact]
    public void AllClicksAtOnceReplayTheSameSequence()
    {
        var model = Model();
        var volume = FixtureVolume();
        var points = FixtureClicks.Select(c => Point(volume, c.X, c.Y, c.Z, c.Positive)).ToList();
        var result = model.Segment(new SegmentationRequest { Volume = volume, Points = points }, CancellationToken.None);
        AssertFixtureMask(4, result.Mask);
        var state = Assert.IsType<CtSam3DState>(result.State);
        Assert.Single(state.Episodes);
        Assert.Equal(4, state.Episodes[0].Patch.Clicks.Count);
    }

    [Fact]
    public void RoiClipsTheMaskAndPointsOutsideItAreIgnored()
    {
        var model = Model();
        var volume = FixtureVolume();
        var roi = RoiBox.FromCorners(volume.Geometry.IjkToRasPoint(new Vec3(10, 10, 10)), volume.Geometry.IjkToRasPoint(new Vec3(50, 50, 50)));
        var result = model.Segment(new SegmentationRequest
        {
            Volume = volume, Roi = roi,
            Points = [Point(volume, 32, 32, 32, true), Point(volume, 3, 61, 50, true)],   // the second lies outside the ROI
        }, CancellationToken.None);
        var state = Assert.IsType<CtSam3DState>(result.State);
        Assert.Single(state.Episodes[0].Patch.Clicks);
        for (int k = 0; k < 64; k++)
            for (int j = 0; j < 64; j++)
                for (int i = 0; i < 64; i++)
                    if (result.Mask[volume.Geometry.Index(i, j, k)] != 0)
                        Assert.True(roi.Contains(volume.Geometry.IjkToRasPoint(new Vec3(i, j, k))));
        Assert.Contains((byte)1, result.Mask);
        AssertFixtureMaskInsideRoi(result.Mask, roi, volume);
    }

    private static void AssertFixtureMaskInsideRoi(byte[] mask, RoiBox roi, Volume volume)
    {
        var expected = NpyFile.Read(Fixture("click1_mask.npy")).Data;
        int differ = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            var ras = volume.Geometry.IjkToRasPoint(new Vec3(i % 64, i / 64 % 64, i / 4096));
            if (roi.Contains(ras) && expected[i] != mask[i]) differ++;
        }
        Assert.True(differ < 10, $"{differ} voxels inside the ROI differ from the fixture's click-1 mask");
    }

    [Fact]
    public void PositiveClickOutsideThePatchOpensANewPatchAndKeepsTheFirst()
    {
        var model = Model();
        var volume = FixtureVolume(withNeighbour: true);
        var first = model.Segment(new SegmentationRequest { Volume = volume, Points = [Point(volume, 32, 32, 32, true)] }, CancellationToken.None);
        var points = new List<PromptPoint> { Point(volume, 32, 32, 32, true), Point(volume, 100, 32, 32, true) };
        var second = model.Segment(new SegmentationRequest { Volume = volume, Points = points, Previous = first.State }, CancellationToken.None);
        var state = Assert.IsType<CtSam3DState>(second.State);
        Assert.Equal(2, state.Episodes.Count);
        Assert.Equal(2, model.Cache.Count);
        // The first patch covers x 0..63, the second x 68..131: the first patch's result is kept where they do not overlap.
        for (int z = 0; z < 64; z++)
            for (int y = 0; y < 64; y++)
                for (int x = 0; x < 64; x++)
                    Assert.Equal(first.Mask[(z * 64 + y) * 128 + x], second.Mask[(z * 64 + y) * 128 + x]);
        Assert.Contains(Enumerable.Range(0, 64 * 64).Select(r => second.Mask[r * 128 + 100]), b => b == 1);
    }

    [Fact]
    public void CrossPatchNetworkExtendsAcrossTheFaceTheMaskReaches()
    {
        var volume = FixtureVolume(withNeighbour: true);
        var points = FixtureClicks.Select(c => Point(volume, c.X, c.Y, c.Z, c.Positive)).ToList();
        var single = Model(maxPatches: 1).Segment(new SegmentationRequest { Volume = volume, Points = points }, CancellationToken.None);
        var extended = Model(maxPatches: 2).Segment(new SegmentationRequest { Volume = volume, Points = points }, CancellationToken.None);
        static int Beyond(byte[] mask) => Enumerable.Range(0, mask.Length).Count(i => i % 128 >= 64 && mask[i] != 0);
        Assert.Equal(0, Beyond(single.Mask));
        Assert.True(Beyond(extended.Mask) > 0, "the +x neighbour patch was not segmented");
        // The clicked patch is unchanged by its neighbour (two runs may differ only where the probability is within 1e-4 of 0.5).
        var probability = NpyFile.Read(Fixture("click4_prob.npy")).ToFloat32();
        for (int i = 0; i < single.Mask.Length; i++)
            if (i % 128 < 64 && single.Mask[i] != extended.Mask[i])
                Assert.True(MathF.Abs(probability[i / 128 * 64 + i % 128] - 0.5f) < 1e-4f, $"voxel {i} of the clicked patch changed");
    }

    [Fact]
    public void WithoutPositivePointOrRoiItSaysWhy()
    {
        var model = Model();
        var volume = FixtureVolume();
        var ex = Assert.Throws<SegmentationException>(() => model.Segment(new SegmentationRequest { Volume = volume, Points = [Point(volume, 5, 5, 5, false)] }, CancellationToken.None));
        Assert.Contains("positive point or an ROI", ex.Message);
        ex = Assert.Throws<SegmentationException>(() => model.Segment(new SegmentationRequest { Volume = volume, Points = [new PromptPoint(new Vec3(1e6, 0, 0), true)] }, CancellationToken.None));
        Assert.Contains("No positive point lies inside", ex.Message);
    }

    [Fact]
    public void CancellationStopsTheSegmentation()
    {
        var model = Model();
        var volume = FixtureVolume();
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() => model.Segment(new SegmentationRequest { Volume = volume, Points = [Point(volume, 32, 32, 32, true)] }, cts.Token));
        Assert.Equal(0, model.Cache.Count);
    }
}
