using SlicerBridge.Host.Requests;
using SlicerBridge.Host.Scheduling;
using SlicerBridge.Host.Server;
using SlicerBridge.Host.Sessions;
using SlicerBridge.Host.Tests.Support;
using SlicerBridge.Inference.Models;
using SlicerBridge.Inference.Volumes;

namespace SlicerBridge.Host.Tests.Sessions;

/// <summary>The session's rules without a socket: volumes, prompts, plans, results, undo and reset.</summary>
public class SessionStateTests
{
    private readonly VolumeCache _cache = new(64L << 20);
    private readonly ModelRegistry _models = new([new SingleModelFactory("sphere", () => new SphereTestModel())],
        [new ModelSpec("sphere", "sphere"), new ModelSpec("other", "sphere")], 1L << 30);

    private SessionState NewSession(string key = "7") => new(key, _cache, _models, "sphere");

    /// <summary>A 10³ volume of 1 mm voxels at the origin, filled with <paramref name="fill"/>.</summary>
    private static Volume Cube(string name, float fill = 1, int n = 10)
    {
        var g = VolumeGeometry.FromMatrix(n, n, n, [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0]);
        var voxels = new float[g.VoxelCount];
        Array.Fill(voxels, fill);
        return new Volume(g, voxels, name, VoxelType.Float32);
    }

    private static IncomingPoint At(double x, double y, double z, bool positive = true) => new(new Vec3(x, y, z), positive, $"point ({x},{y},{z})");

    private static InferenceOutcome Completed(byte[] mask, string state = "s") =>
        new(InferenceOutcomeKind.Completed, new SegmentationResult { Mask = mask, State = new TestState(state) }, default, null);

    private sealed class TestState(string tag) : ModelState { public string Tag { get; } = tag; public override long SizeBytes => 0; }

    [Fact]
    public void Points_before_any_volume_are_rejected_as_no_volume()
    {
        var outcome = NewSession().ApplyPoints("PromptPos", [At(1, 1, 1)]);
        Assert.Equal(OutcomeKind.Rejected, outcome.Kind);
        Assert.Equal(RejectionKind.NoVolume, outcome.Rejection!.Kind);
    }

    [Fact]
    public void Points_are_validated_once_with_their_name_in_the_error()
    {
        var s = NewSession();
        Assert.True(s.ReceiveVolume(Cube("ct")).IsDone);
        var nan = s.ApplyPoints("P", [At(1, 1, 1), new IncomingPoint(new Vec3(double.NaN, 0, 0), true, "POINT 'P' point 'bad'")]);
        Assert.Equal(RejectionKind.BadPoint, nan.Rejection!.Kind);
        Assert.Equal("POINT 'P' point 'bad' has a NaN or infinite coordinate.", nan.Message);
        var outside = s.ApplyPoints("P", [At(50, 1, 1)]);
        Assert.Equal(RejectionKind.PointOutside, outside.Rejection!.Kind);
        Assert.Contains("lies outside volume 'ct'", outside.Message);
        var negativeOnly = s.ApplyPoints("P-", [At(1, 1, 1, positive: false)]);
        Assert.Equal(RejectionKind.NoPositivePoint, negativeOnly.Rejection!.Kind);
    }

    [Fact]
    public void Prompts_of_several_devices_are_united_in_one_plan()
    {
        var s = NewSession("42");
        s.ReceiveVolume(Cube("ct"));
        Assert.False(s.ApplyPoints("PromptNeg-", [At(2, 2, 2, positive: false)]).IsDone);
        var plan = s.ApplyPoints("PromptPos", [At(5, 5, 5)]).Value!;
        Assert.Equal(2, plan.Request.Points.Count);
        Assert.Equal("ct#2", plan.RequestId);
        Assert.Equal("ct_seg", plan.Output);
        Assert.Equal("42/ct", plan.SupersedeKey);
        Assert.Equal("sphere", plan.Model);
        Assert.Same(_cache.Get(plan.ContentKey, "ct"), plan.Request.Volume);
    }

    [Fact]
    public void A_result_is_recorded_for_undo_and_undo_restores_the_one_before()
    {
        var s = NewSession();
        s.ReceiveVolume(Cube("ct"));
        var first = s.ApplyPoints("P", [At(5, 5, 5)]).Value!;
        var mask1 = new byte[1000]; mask1[1] = 1;
        var done1 = s.Record(first, Completed(mask1, "one"));
        Assert.Equal(1, done1.Value!.Voxels);
        var second = s.ApplyPoints("P", [At(5, 5, 5), At(6, 6, 6)]).Value!;
        Assert.Equal("one", Assert.IsType<TestState>(second.Request.Previous).Tag); // cumulative clicks get the previous state
        var mask2 = new byte[1000]; mask2[1] = mask2[2] = 1;
        Assert.Equal(2, s.Record(second, Completed(mask2, "two")).Value!.Voxels);

        var undo = s.Undo(null).Value!;
        Assert.Equal(1, undo.Depth);
        Assert.Same(mask1, undo.Labelmap.Mask);
        Assert.Equal("ct_seg", undo.Labelmap.Device);
        var third = s.ApplyPoints("Q", [At(3, 3, 3)]).Value!;
        Assert.Equal(2, third.Request.Points.Count); // device P's points came back with the undone result
        Assert.Equal("one", Assert.IsType<TestState>(third.Request.Previous).Tag);

        Assert.Equal(0, s.Undo("ct").Value!.Depth);
        Assert.All(s.Undo("ct").Value!.Labelmap.Mask, b => Assert.Equal(0, b));
    }

    [Fact]
    public void A_result_for_a_volume_replaced_meanwhile_is_superseded()
    {
        var s = NewSession();
        s.ReceiveVolume(Cube("ct", 1));
        var plan = s.ApplyPoints("P", [At(5, 5, 5)]).Value!;
        s.ReceiveVolume(Cube("ct", 2)); // same name, new content
        var outcome = s.Record(plan, Completed(new byte[1000]));
        Assert.Equal(OutcomeKind.Superseded, outcome.Kind);
        Assert.Contains("was replaced", outcome.Message);
        Assert.Equal(0, s.Undo(null).Value!.Depth);
    }

    [Fact]
    public void Queue_endings_become_outcomes()
    {
        var s = NewSession();
        s.ReceiveVolume(Cube("ct"));
        var plan = s.ApplyPoints("P", [At(5, 5, 5)]).Value!;
        InferenceOutcome Ended(InferenceOutcomeKind kind) => new(kind, null, default, "why");
        Assert.Equal(OutcomeKind.Superseded, s.Record(plan, Ended(InferenceOutcomeKind.Superseded)).Kind);
        Assert.Equal(OutcomeKind.Superseded, s.Record(plan, Ended(InferenceOutcomeKind.Cancelled)).Kind);
        Assert.Equal(RejectionKind.Busy, s.Record(plan, Ended(InferenceOutcomeKind.Busy)).Rejection!.Kind);
        Assert.Equal(RejectionKind.SegmentationFailed, s.Record(plan, Ended(InferenceOutcomeKind.Failed)).Rejection!.Kind);
        Assert.Equal(OutcomeKind.Failed, s.Record(plan, Ended(InferenceOutcomeKind.Faulted)).Kind);
    }

    [Fact]
    public void Segment_request_replaces_prompts_keeps_roi_and_model_and_checks_names()
    {
        var s = NewSession();
        s.ReceiveVolume(Cube("ct"));
        Assert.Equal(RejectionKind.UnknownModel, s.PlanSegment(new SegmentRequest(null, "unet", null, null, null, null)).Rejection!.Kind);
        Assert.Equal(RejectionKind.UnknownVolume, s.PlanSegment(new SegmentRequest("mr", null, null, null, null, null)).Rejection!.Kind);
        Assert.Equal(RejectionKind.NoPositivePoint, s.PlanSegment(new SegmentRequest(null, null, null, null, null, null)).Rejection!.Kind);
        var outside = s.PlanSegment(new SegmentRequest(null, null, [new PromptPoint(new Vec3(99, 0, 0), true)], null, null, null));
        Assert.Equal(RejectionKind.PointOutside, outside.Rejection!.Kind);
        Assert.StartsWith("points[0] at RAS", outside.Message);

        var roi = RoiBox.AxisAligned(new Vec3(5, 5, 5), new Vec3(4, 4, 4));
        var plan = s.PlanSegment(new SegmentRequest("ct", "other", [new PromptPoint(new Vec3(5, 5, 5), true)], roi, "mask", "r1")).Value!;
        Assert.Equal(("other", "r1", "mask"), (plan.Model, plan.RequestId, plan.Output));
        Assert.Same(roi, plan.Request.Roi);
        Assert.Equal("other", s.Model);
        var next = s.ApplyPoints("PromptPos", [At(4, 4, 4)]).Value!;
        Assert.Equal(2, next.Request.Points.Count); // the Segment's points stay in the prompt set
        Assert.Same(roi, next.Request.Roi);
    }

    [Fact]
    public void Reset_forgets_prompts_roi_and_history()
    {
        var s = NewSession();
        s.ReceiveVolume(Cube("ct"));
        s.SetRoi(null, RoiBox.AxisAligned(new Vec3(5, 5, 5), new Vec3(4, 4, 4)));
        var plan = s.ApplyPoints("P", [At(5, 5, 5)]).Value!;
        s.Record(plan, Completed(new byte[1000]));
        var reset = s.Reset(null).Value!;
        Assert.Equal(0, reset.Depth);
        Assert.Equal(RejectionKind.NoPositivePoint, s.ApplyPoints("Q", []).Rejection!.Kind);
        Assert.Null(s.ApplyPoints("Q", [At(5, 5, 5)]).Value!.Request.Roi);
    }

    [Fact]
    public void Target_volume_is_pinned_and_close_unpins_it()
    {
        var small = new VolumeCache(4000 * 2); // room for two 10³ float volumes
        var s = new SessionState("1", small, _models, "sphere");
        s.ReceiveVolume(Cube("a", 1));
        s.ReceiveVolume(Cube("b", 2)); // a is unpinned now
        var other = new SessionState("2", small, _models, "sphere");
        other.ReceiveVolume(Cube("c", 3)); // over budget: a (unpinned, oldest) goes
        Assert.Equal(RejectionKind.VolumeEvicted, s.SetTarget("a").Rejection!.Kind);
        Assert.Equal("b", s.TargetName);
        s.Close();
        Assert.Null(s.TargetName);
        other.ReceiveVolume(Cube("d", 4)); // b is no longer pinned by the closed session
        Assert.Equal(2, small.Count);
        Assert.Equal(OutcomeKind.Superseded, s.ReceiveVolume(Cube("e", 5)).Kind);
    }

    [Fact]
    public void Set_model_accepts_only_known_models()
    {
        var s = NewSession();
        Assert.Equal(RejectionKind.UnknownModel, s.SetModel("unet").Rejection!.Kind);
        Assert.Equal("other", s.SetModel("other").Value);
        Assert.Equal("other", s.Model);
    }
}
