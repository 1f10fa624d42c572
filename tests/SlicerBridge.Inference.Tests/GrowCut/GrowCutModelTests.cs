using SlicerBridge.Inference.Models;
using SlicerBridge.Inference.Models.GrowCut;
using SlicerBridge.Inference.Volumes;
using static SlicerBridge.Inference.Tests.GrowCut.GrowCutPhantoms;

namespace SlicerBridge.Inference.Tests.GrowCut;

public class GrowCutModelTests
{
    private static readonly RoiBox WholePhantom = RoiBox.FromCorners(new Vec3(2, 2, 2), new Vec3(58, 38, 38));

    [Fact]
    public void TouchingSpheres_OfDifferentIntensity_AreSeparated()
    {
        var (volume, left, right, lc, rc) = TwoSpheres(new Vec3(1, 1, 1));
        using var model = new GrowCutModel();
        var result = model.Segment(new SegmentationRequest
        {
            Volume = volume,
            Points = [new PromptPoint(lc, true), new PromptPoint(rc, false)],
            Roi = WholePhantom,
        }, CancellationToken.None);
        Assert.Equal(volume.Voxels.Length, result.Mask.Length);
        Assert.All(result.Mask, v => Assert.True(v <= 1));
        Assert.True(Dice(result.Mask, left) > 0.95, $"Dice with the left sphere {Dice(result.Mask, left):0.000}");
        Assert.True(Dice(result.Mask, right) < 0.02, $"Overlap with the right sphere {Dice(result.Mask, right):0.000}");
    }

    [Fact]
    public void WithoutNegativeClick_TheBackgroundBorderStillStopsTheGrowth()
    {
        // One sphere only (the second has the background's intensity).
        var (volume, left, _, lc, _) = TwoSpheres(new Vec3(1, 1, 1), b: 0);
        using var model = new GrowCutModel();
        var result = model.Segment(new SegmentationRequest { Volume = volume, Points = [new PromptPoint(lc, true)], Roi = WholePhantom },
            CancellationToken.None);
        Assert.True(Dice(result.Mask, left) > 0.9, $"Dice {Dice(result.Mask, left):0.000}");
    }

    [Fact]
    public void AnisotropicSpacing_SegmentsTheSameSphereInMillimetres()
    {
        var (volume, left, _, lc, rc) = TwoSpheres(new Vec3(0.8, 1.0, 2.5));
        using var model = new GrowCutModel();
        var result = model.Segment(new SegmentationRequest
        {
            Volume = volume,
            Points = [new PromptPoint(lc, true), new PromptPoint(rc, false)],
            Roi = WholePhantom,
        }, CancellationToken.None);
        Assert.True(Dice(result.Mask, left) > 0.93, $"Dice {Dice(result.Mask, left):0.000}");
        double volumeMl = result.Mask.Sum(v => (double)v) * 0.8 * 1.0 * 2.5 / 1000;
        double trueMl = 4.0 / 3 * Math.PI * 1000 / 1000;
        Assert.InRange(volumeMl, trueMl * 0.85, trueMl * 1.15);
    }

    [Fact]
    public void NoRoi_UsesAMarginBoxAroundThePositives()
    {
        var (volume, left, _, lc, rc) = TwoSpheres(new Vec3(1, 1, 1));
        using var model = new GrowCutModel(new GrowCutOptions { MarginMm = 14 });
        var result = model.Segment(new SegmentationRequest
        {
            Volume = volume,
            Points = [new PromptPoint(lc, true), new PromptPoint(rc, false)],
        }, CancellationToken.None);
        Assert.True(Dice(result.Mask, left) > 0.9, $"Dice {Dice(result.Mask, left):0.000}");
        var g = volume.Geometry;
        // Nothing beyond the margin box (centre ± 14 mm).
        for (int k = 0; k < g.SizeK; k++)
            for (int j = 0; j < g.SizeJ; j++)
                for (int i = 0; i < g.SizeI; i++)
                    if (result.Mask[g.Index(i, j, k)] == 1)
                        Assert.True(Math.Abs(i - lc.X) <= 14 && Math.Abs(j - lc.Y) <= 14 && Math.Abs(k - lc.Z) <= 14);
    }

    [Fact]
    public void NegativeSeeds_CarveOutTheirSide()
    {
        // Two spheres of the SAME intensity: without a negative click both grow together; with one on the right sphere, it is cut off.
        var (volume, left, right, lc, rc) = TwoSpheres(new Vec3(1, 1, 1), a: 150, b: 150);
        using var model = new GrowCutModel();
        var positiveOnly = model.Segment(new SegmentationRequest { Volume = volume, Points = [new PromptPoint(lc, true)], Roi = WholePhantom },
            CancellationToken.None);
        Assert.True(Dice(positiveOnly.Mask, right) > 0.5, "without a negative click the equal-intensity neighbour is included");
        var withNegative = model.Segment(new SegmentationRequest
        {
            Volume = volume,
            Points = [new PromptPoint(lc, true), new PromptPoint(rc, false)],
            Roi = WholePhantom,
        }, CancellationToken.None);
        Assert.True(Dice(withNegative.Mask, right) < Dice(positiveOnly.Mask, right) - 0.3);
        Assert.True(Dice(withNegative.Mask, left) > 0.8, $"Dice {Dice(withNegative.Mask, left):0.000}");
    }

    [Fact]
    public void Incremental_AddingAPoint_EqualsAFullRun()
    {
        var (volume, _, _, lc, rc) = TwoSpheres(new Vec3(1, 1, 1.5), a: 150, b: 152, noise: 5);
        using var model = new GrowCutModel();
        PromptPoint[] first = [new PromptPoint(lc, true)];
        PromptPoint[] second = [.. first, new PromptPoint(rc, true), new PromptPoint(new Vec3(30, 6, 20), false)];
        var click1 = model.Segment(new SegmentationRequest { Volume = volume, Points = first, Roi = WholePhantom }, CancellationToken.None);
        var incremental = model.Segment(new SegmentationRequest { Volume = volume, Points = second, Roi = WholePhantom, Previous = click1.State },
            CancellationToken.None);
        var full = model.Segment(new SegmentationRequest { Volume = volume, Points = second, Roi = WholePhantom }, CancellationToken.None);
        // Clicks are applied in order either way, so the incremental update is exactly the full replay.
        Assert.Equal(full.Mask, incremental.Mask);
        Assert.True(click1.Mask.Zip(incremental.Mask).Count(p => p.First != p.Second) > 100,
            $"second click changed nothing: {click1.Mask.Sum(v => (int)v)} vs {incremental.Mask.Sum(v => (int)v)} vs full {full.Mask.Sum(v => (int)v)}");
        Assert.IsType<GrowCutState>(incremental.State);
        // The incremental update did not touch the state it started from.
        var again = model.Segment(new SegmentationRequest { Volume = volume, Points = second, Roi = WholePhantom, Previous = click1.State },
            CancellationToken.None);
        Assert.Equal(incremental.Mask, again.Mask);
    }

    [Fact]
    public void RemovedPointOrMovedRoi_FallsBackToAFullRun()
    {
        var (volume, _, _, lc, rc) = TwoSpheres(new Vec3(1, 1, 1));
        using var model = new GrowCutModel();
        PromptPoint[] two = [new PromptPoint(lc, true), new PromptPoint(rc, false)];
        var first = model.Segment(new SegmentationRequest { Volume = volume, Points = two, Roi = WholePhantom }, CancellationToken.None);
        var removed = model.Segment(new SegmentationRequest { Volume = volume, Points = [two[0]], Roi = WholePhantom, Previous = first.State },
            CancellationToken.None);
        var fresh = model.Segment(new SegmentationRequest { Volume = volume, Points = [two[0]], Roi = WholePhantom }, CancellationToken.None);
        Assert.Equal(fresh.Mask, removed.Mask);
        var smallerRoi = RoiBox.FromCorners(new Vec3(5, 5, 5), new Vec3(40, 35, 35));
        var moved = model.Segment(new SegmentationRequest { Volume = volume, Points = two, Roi = smallerRoi, Previous = first.State },
            CancellationToken.None);
        var movedFresh = model.Segment(new SegmentationRequest { Volume = volume, Points = two, Roi = smallerRoi }, CancellationToken.None);
        Assert.Equal(movedFresh.Mask, moved.Mask);
    }

    [Fact]
    public void ConcurrentCalls_OnOneModelAndOneState_GiveTheSameResult()
    {
        var (volume, _, _, lc, rc) = TwoSpheres(new Vec3(1, 1, 1));
        using var model = new GrowCutModel();
        var first = model.Segment(new SegmentationRequest { Volume = volume, Points = [new PromptPoint(lc, true)], Roi = WholePhantom },
            CancellationToken.None);
        PromptPoint[] two = [new PromptPoint(lc, true), new PromptPoint(rc, true)];
        var masks = new byte[4][];
        Parallel.For(0, masks.Length, n => masks[n] = model.Segment(
            new SegmentationRequest { Volume = volume, Points = two, Roi = WholePhantom, Previous = n % 2 == 0 ? first.State : null },
            CancellationToken.None).Mask);
        for (int n = 1; n < masks.Length; n++) Assert.Equal(masks[0], masks[n]);
    }

    [Fact]
    public void Progress_EndsAtOne_AndTimingsAreReported()
    {
        var (volume, _, _, lc, _) = TwoSpheres(new Vec3(1, 1, 1));
        using var model = new GrowCutModel();
        var reports = new List<double>();
        var result = model.Segment(new SegmentationRequest
        {
            Volume = volume, Points = [new PromptPoint(lc, true)], Roi = WholePhantom, Progress = new SynchronousProgress(reports.Add),
        }, CancellationToken.None);
        Assert.Equal(1.0, reports[^1]);
        Assert.Equal(reports.Order(), reports);
        Assert.True(result.Timings.InferMs > 0);
        Assert.True(result.State!.SizeBytes > 0);
    }

    [Fact]
    public void Cancellation_IsObserved()
    {
        var (volume, _, _, lc, _) = TwoSpheres(new Vec3(1, 1, 1));
        using var model = new GrowCutModel();
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() =>
            model.Segment(new SegmentationRequest { Volume = volume, Points = [new PromptPoint(lc, true)] }, cts.Token));
        // Cancelled from the progress callback, i.e. in the middle of the growth.
        using var mid = new CancellationTokenSource();
        var progress = new SynchronousProgress(_ => mid.Cancel());
        Assert.ThrowsAny<OperationCanceledException>(() =>
            model.Segment(new SegmentationRequest { Volume = volume, Points = [new PromptPoint(lc, true)], Roi = WholePhantom, Progress = progress },
                mid.Token));
    }

    [Fact]
    public void BadPrompts_ThrowSegmentationException()
    {
        var (volume, _, _, lc, rc) = TwoSpheres(new Vec3(1, 1, 1));
        using var model = new GrowCutModel();
        SegmentationResult Run(PromptPoint[] points, RoiBox? roi = null) =>
            model.Segment(new SegmentationRequest { Volume = volume, Points = points, Roi = roi }, CancellationToken.None);
        Assert.Contains("positive", Assert.Throws<SegmentationException>(() => Run([])).Message);
        Assert.Contains("positive", Assert.Throws<SegmentationException>(() => Run([new PromptPoint(rc, false)])).Message);
        Assert.Contains("inside the volume",
            Assert.Throws<SegmentationException>(() => Run([new PromptPoint(new Vec3(500, 0, 0), true)])).Message);
        Assert.Contains("ROI", Assert.Throws<SegmentationException>(() =>
            Run([new PromptPoint(lc, true)], RoiBox.FromCorners(new Vec3(45, 5, 5), new Vec3(55, 35, 35)))).Message);
        Assert.Contains("ROI", Assert.Throws<SegmentationException>(() =>
            Run([new PromptPoint(lc, true)], RoiBox.FromCorners(new Vec3(200, 200, 200), new Vec3(210, 210, 210)))).Message);
        Assert.Throws<SegmentationException>(() => Run([new PromptPoint(new Vec3(double.NaN, 0, 0), true)]));
    }

    [Fact]
    public void Factory_BuildsGrowCut_AndRejectsBadConfig()
    {
        var factory = new GrowCutModelFactory();
        Assert.Equal("growcut", factory.Kind);
        using var model = factory.Create(new ModelSpec("growcut", "growcut"));
        Assert.Equal("growcut", model.Name);
        Assert.Equal(0, model.WeightBytes);
        string config = Path.Combine(Path.GetTempPath(), $"growcut-{Guid.NewGuid():N}.json");
        try
        {
            File.WriteAllText(config, """{ "seedRadiusMm": 1.5, "connectivity": 6, "negativeReach": 3, "positiveIntensityQuantile": 0 }""");
            var configured = (GrowCutModel)factory.Create(new ModelSpec("g", "growcut", Config: config));
            Assert.Equal(1.5, configured.Options.SeedRadiusMm);
            Assert.Equal(6, configured.Options.Connectivity);
            Assert.Equal(3, configured.Options.NegativeReach);
            Assert.Equal(0, configured.Options.PositiveIntensityQuantile);
            File.WriteAllText(config, """{ "positiveIntensityQuantile": 0.5 }""");
            Assert.Contains("PositiveIntensityQuantile", Assert.Throws<ArgumentException>(() => factory.Create(new ModelSpec("g", "growcut", Config: config))).Message);
            File.WriteAllText(config, """{ "firstClickReach": -1 }""");
            Assert.Contains("FirstClickReach", Assert.Throws<ArgumentException>(() => factory.Create(new ModelSpec("g", "growcut", Config: config))).Message);
            File.WriteAllText(config, """{ "connectivity": 8 }""");
            Assert.Contains("Connectivity", Assert.Throws<ArgumentException>(() => factory.Create(new ModelSpec("g", "growcut", Config: config))).Message);
            File.WriteAllText(config, """{ "radius": 2 }""");
            Assert.Contains("unknown key", Assert.Throws<ArgumentException>(() => factory.Create(new ModelSpec("g", "growcut", Config: config))).Message);
        }
        finally { File.Delete(config); }
        Assert.Throws<ArgumentException>(() => factory.Create(new ModelSpec("g", "growcut", Checkpoint: "x.pth")));
    }

    private sealed class SynchronousProgress(Action<double> report) : IProgress<double>
    {
        public void Report(double value) => report(value);
    }
}
