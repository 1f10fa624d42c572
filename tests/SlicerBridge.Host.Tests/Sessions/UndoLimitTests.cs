using SlicerBridge.Host.Scheduling;
using SlicerBridge.Host.Server;
using SlicerBridge.Host.Sessions;
using SlicerBridge.Host.Tests.Support;
using SlicerBridge.Inference.Models;
using SlicerBridge.Inference.Volumes;

namespace SlicerBridge.Host.Tests.Sessions;

/// <summary>The undo history is capped by depth per volume and by bytes per session; the oldest results go first.</summary>
public class UndoLimitTests
{
    private readonly VolumeCache _cache = new(64L << 20);
    private readonly ModelRegistry _models = new([new SingleModelFactory("sphere", () => new SphereTestModel())],
        [new ModelSpec("sphere", "sphere")], 1L << 30);

    private const int Voxels = 1000; // 10³

    private SessionState NewSession(UndoLimits limits) => new("7", _cache, _models, "sphere") { UndoLimits = limits };

    private static Volume Cube(string name)
    {
        var g = VolumeGeometry.FromMatrix(10, 10, 10, [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0]);
        var voxels = new float[g.VoxelCount];
        Array.Fill(voxels, 1f);
        return new Volume(g, voxels, name, VoxelType.Float32);
    }

    private sealed class SizedState(long bytes) : ModelState { public override long SizeBytes => bytes; }

    /// <summary>One click on <paramref name="volume"/> whose mask marks voxel <paramref name="tag"/> (so each result is recognisable).</summary>
    private static void Click(SessionState s, string volume, int tag, long stateBytes = 0)
    {
        Assert.True(s.SetTarget(volume).IsDone);
        var plan = s.ApplyPoints("P", [new IncomingPoint(new Vec3(5, 5, 5), true, "p")]).Value!;
        var mask = new byte[Voxels];
        mask[tag] = 1;
        var done = s.Record(plan, new InferenceOutcome(InferenceOutcomeKind.Completed,
            new SegmentationResult { Mask = mask, State = new SizedState(stateBytes) }, default, null));
        Assert.True(done.IsDone);
    }

    private static int TagOf(HistoryChange change) => Array.IndexOf(change.Labelmap.Mask, (byte)1);

    [Fact]
    public void Three_hundred_clicks_keep_only_the_newest_results_up_to_the_depth()
    {
        var s = NewSession(new UndoLimits(MaxDepth: 5, MaxBytes: long.MaxValue));
        s.ReceiveVolume(Cube("ct"));
        for (int i = 0; i < 300; i++) Click(s, "ct", i % Voxels);
        Assert.Equal(5 * (Voxels + 32), s.UndoBytes); // without the cap: 300 entries
        // Undo walks back through the four results before the newest: 298, 297, 296, 295.
        for (int expected = 298; expected >= 295; expected--)
        {
            var undo = s.Undo(null);
            Assert.True(undo.IsDone, undo.Message);
            Assert.Equal(expected, TagOf(undo.Value!));
        }
        // Older results are gone: Undo says so instead of pretending the first click's state was empty.
        var beyond = s.Undo(null);
        Assert.Equal(RejectionKind.UndoLimitReached, beyond.Rejection!.Kind);
        Assert.Contains("Server:MaxUndoDepth", beyond.Message);
        Assert.True(s.Reset(null).IsDone); // Reset still starts over
        Assert.Equal(0, s.UndoBytes);
    }

    [Fact]
    public void The_byte_cap_drops_the_oldest_results_of_any_volume_and_keeps_each_newest()
    {
        const long state = 100_000; // each result: 1,000 mask bytes + 100,000 state bytes + 32 for its point
        const long entry = Voxels + state + 32;
        var s = NewSession(new UndoLimits(MaxDepth: 1000, MaxBytes: 5 * entry));
        s.ReceiveVolume(Cube("a"));
        s.ReceiveVolume(Cube("b"));
        Click(s, "a", 1, state); // oldest
        Click(s, "b", 2, state);
        Click(s, "a", 3, state);
        Click(s, "b", 4, state);
        Click(s, "a", 5, state);
        Assert.Equal(5 * entry, s.UndoBytes);
        Click(s, "b", 6, state); // over by one: a#1, the oldest of all, goes
        Assert.Equal(5 * entry, s.UndoBytes);
        Click(s, "b", 7, state); // b#2 goes next
        Assert.Equal(5 * entry, s.UndoBytes);
        Assert.Equal(3, TagOf(s.Undo("a").Value!)); // a: 3, 5 kept; undo of 5 shows 3
        Assert.Equal(RejectionKind.UndoLimitReached, s.Undo("a").Rejection!.Kind);
        Assert.Equal(6, TagOf(s.Undo("b").Value!)); // b: 4, 6, 7 kept
        Assert.Equal(4, TagOf(s.Undo("b").Value!));
    }

    [Fact]
    public void A_single_result_larger_than_the_byte_cap_is_still_kept_as_the_standing_one()
    {
        var s = NewSession(new UndoLimits(MaxDepth: 32, MaxBytes: 10));
        s.ReceiveVolume(Cube("ct"));
        Click(s, "ct", 1);
        Click(s, "ct", 2);
        Assert.Equal(Voxels + 32, s.UndoBytes); // only the newest
        Assert.Equal(RejectionKind.UndoLimitReached, s.Undo(null).Rejection!.Kind);
    }

    [Fact]
    public void Without_trimming_undo_past_the_first_result_still_gives_the_empty_labelmap()
    {
        var s = NewSession(UndoLimits.Default);
        s.ReceiveVolume(Cube("ct"));
        Click(s, "ct", 1);
        var undo = s.Undo(null);
        Assert.True(undo.IsDone);
        Assert.Equal(-1, TagOf(undo.Value!));
    }
}
