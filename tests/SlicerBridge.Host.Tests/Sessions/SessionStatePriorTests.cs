using SlicerBridge.Host.Requests;
using SlicerBridge.Host.Server;
using SlicerBridge.Host.Sessions;
using SlicerBridge.Host.Tests.Support;
using SlicerBridge.Inference.Models;
using SlicerBridge.Inference.Volumes;

namespace SlicerBridge.Host.Tests.Sessions;

/// <summary>The session's rules for priors (docs/protocol.md, "Refining an existing segment"), without a socket.</summary>
public class SessionStatePriorTests
{
    private readonly VolumeCache _cache = new(64L << 20);
    private readonly ModelRegistry _models = new([new SingleModelFactory("sphere", () => new SphereTestModel())],
        [new ModelSpec("sphere", "sphere")], 1L << 30);

    private SessionState NewSession() => new("7", _cache, _models, "sphere");

    private static VolumeGeometry Grid(int n = 10, double spacing = 1, double originX = 0) =>
        VolumeGeometry.FromMatrix(n, n, n, [spacing, 0, 0, originX, 0, spacing, 0, 0, 0, 0, spacing, 0]);

    private static Volume Cube(string name, int n = 10, float fill = 1)
    {
        var g = Grid(n);
        var voxels = new float[g.VoxelCount];
        Array.Fill(voxels, fill);
        return new Volume(g, voxels, name, VoxelType.Float32);
    }

    private static byte[] Mask(int n = 10, int inside = 5)
    {
        var mask = new byte[n * n * n];
        for (int v = 0; v < inside; v++) mask[v * 3] = 1;
        return mask;
    }

    private static IncomingPoint At(double x, double y, double z) => new(new Vec3(x, y, z), true, $"point ({x},{y},{z})");

    [Theory]
    [InlineData("ct_prior", true)]
    [InlineData("AbdomenCT_seri_prior", true)]
    [InlineData("ct_prior2", false)]
    [InlineData("ct_Prior", false)]
    [InlineData("prior", false)]
    public void Only_names_ending_in_underscore_prior_are_priors(string device, bool isPrior) =>
        Assert.Equal(isPrior, SessionState.IsPriorName(device));

    [Fact]
    public void A_prior_goes_to_the_volume_its_prefix_names_and_into_every_later_plan_but_never_becomes_a_volume()
    {
        var s = NewSession();
        s.ReceiveVolume(Cube("AbdomenCT_series_001"));
        s.ReceiveVolume(Cube("mr", fill: 3)); // other voxels: its own cache entry
        var received = s.ReceivePrior("AbdomenCT_seri_prior", Grid(), Mask());
        Assert.True(received.IsDone, received.ToString());
        Assert.Equal(new PriorChange("AbdomenCT_series_001", 5), received.Value);
        Assert.Equal(["AbdomenCT_series_001", "mr"], s.VolumeNames.Order());
        Assert.Equal("mr", s.TargetName); // the prior did not change the target
        Assert.Equal(2, _cache.Count); // the two volumes, no third entry for the prior

        Assert.Null(s.ApplyPoints("P", [At(1, 1, 1)]).Value!.Request.Prior); // "mr" has none
        var plan = s.PlanSegment(new SegmentRequest("AbdomenCT_series_001", null, [new PromptPoint(new Vec3(1, 1, 1), true)], null, null, null));
        Assert.True(plan.IsDone, plan.ToString());
        var prior = plan.Value!.Request.Prior;
        Assert.NotNull(prior);
        Assert.Equal(5, prior.InsideCount);
        Assert.Same(prior, s.PlanSegment(new SegmentRequest("AbdomenCT_series_001", null, null, null, null, null)).Value!.Request.Prior);
    }

    [Fact]
    public void Unknown_volume_is_not_found_and_a_prefix_of_several_takes_the_target_or_is_refused()
    {
        var s = NewSession();
        var none = s.ReceivePrior("ct_prior", Grid(), Mask());
        Assert.Equal(RejectionKind.PriorVolumeNotFound, none.Rejection!.Kind);
        s.ReceiveVolume(Cube("liver_arterial"));
        s.ReceiveVolume(Cube("liver_arterial_2"));
        Assert.Equal("liver_arterial_2", s.ReceivePrior("liver_arterial_prior", Grid(), Mask()).Value!.Volume);
        s.ReceiveVolume(Cube("other"));
        var ambiguous = s.ReceivePrior("liver_arterial_prior", Grid(), Mask());
        Assert.Equal(RejectionKind.BadImage, ambiguous.Rejection!.Kind);
        Assert.Contains("liver_arterial, liver_arterial_2", ambiguous.Message);
        Assert.Equal(RejectionKind.PriorVolumeNotFound, s.ReceivePrior("_prior", Grid(), Mask()).Rejection!.Kind);
    }

    [Fact]
    public void Another_grid_is_refused_naming_the_difference_but_float32_rounding_is_accepted()
    {
        var s = NewSession();
        s.ReceiveVolume(Cube("ct"));
        var size = s.ReceivePrior("ct_prior", Grid(n: 9), Mask(9));
        Assert.Equal(RejectionKind.BadImage, size.Rejection!.Kind);
        Assert.Equal("PriorGeometry", size.Rejection.ErrorName);
        Assert.Contains("dimensions 9x9x9 but volume 'ct' has 10x10x10", size.Message);
        var spacing = s.ReceivePrior("ct_prior", Grid(spacing: 1.1), Mask());
        Assert.Contains("spacing", spacing.Message);
        var shifted = s.ReceivePrior("ct_prior", Grid(originX: 0.01), Mask());
        Assert.Contains("origin", shifted.Message);
        Assert.True(s.ReceivePrior("ct_prior", Grid(spacing: 1 + 1e-7, originX: 1e-5), Mask()).IsDone);
    }

    [Fact]
    public void Reset_an_all_zero_prior_and_other_volume_content_clear_it_the_same_content_keeps_it()
    {
        var s = NewSession();
        s.ReceiveVolume(Cube("ct"));
        PriorMask? PriorOfNextPlan() => s.ApplyPoints("P", [At(1, 1, 1)]).Value!.Request.Prior;

        s.ReceivePrior("ct_prior", Grid(), Mask());
        var first = PriorOfNextPlan();
        Assert.NotNull(first);
        s.ReceivePrior("ct_prior", Grid(), Mask(inside: 7));
        Assert.Equal(7, PriorOfNextPlan()!.InsideCount); // a newer one replaces it
        Assert.Equal(new PriorChange("ct", 0), s.ReceivePrior("ct_prior", Grid(), new byte[1000]).Value);
        Assert.Null(PriorOfNextPlan());

        s.ReceivePrior("ct_prior", Grid(), Mask());
        Assert.True(s.Reset("ct").IsDone);
        Assert.Null(PriorOfNextPlan());

        s.ReceivePrior("ct_prior", Grid(), Mask());
        s.ReceiveVolume(Cube("ct")); // the same voxels again
        Assert.NotNull(PriorOfNextPlan());
        s.ReceiveVolume(Cube("ct", fill: 2)); // other voxels
        Assert.Null(PriorOfNextPlan());
    }

    [Fact]
    public void A_closed_session_takes_no_prior()
    {
        var s = NewSession();
        s.ReceiveVolume(Cube("ct"));
        s.Close();
        Assert.Equal(RejectionKind.PriorVolumeNotFound, s.ReceivePrior("ct_prior", Grid(), Mask()).Rejection!.Kind);
    }
}
