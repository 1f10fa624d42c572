using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using SlicerBridge.Host.Configuration;
using SlicerBridge.Host.Scheduling;
using SlicerBridge.Host.Tests.Support;
using SlicerBridge.Inference.Models;
using SlicerBridge.Inference.Volumes;

namespace SlicerBridge.Host.Tests.Core;

public class InferenceQueueTests
{
    private static readonly Volume Cube = new(VolumeGeometry.AxisAligned(8, 8, 8, new Vec3(1, 1, 1), new Vec3(0, 0, 0)), new float[512], "cube");

    private static SegmentationRequest At(double x) => new() { Volume = Cube, Points = [new PromptPoint(new Vec3(x, 4, 4), true)] };

    private static (InferenceQueue, InferenceWorkerService, SphereTestModel) Start(int capacity = 8)
    {
        var model = new SphereTestModel();
        var registry = new ModelRegistry([new SingleModelFactory("sphere", () => model)], [new ModelSpec("sphere", "sphere")], long.MaxValue);
        var queue = new InferenceQueue(capacity);
        var options = Options.Create(new BridgeOptions { Scheduling = { Parallelism = 1 } });
        return (queue, new InferenceWorkerService(queue, registry, options, NullLogger<InferenceWorkerService>.Instance), model);
    }

    [Fact]
    public async Task Newer_job_supersedes_running_and_queued_older_ones()
    {
        var (queue, workers, model) = Start();
        model.Gate = new SemaphoreSlim(0);
        await workers.StartAsync(CancellationToken.None);
        var first = queue.Submit(new InferenceJob("s1/cube", "r1", "sphere", At(2), CancellationToken.None));
        while (model.Calls == 0) await Task.Delay(5); // first is running (blocked on the gate)
        var second = queue.Submit(new InferenceJob("s1/cube", "r2", "sphere", At(3), CancellationToken.None));
        var third = queue.Submit(new InferenceJob("s1/cube", "r3", "sphere", At(4), CancellationToken.None));
        var other = queue.Submit(new InferenceJob("s2/cube", "o1", "sphere", At(5), CancellationToken.None));
        model.Gate.Release(10);
        Assert.Equal(InferenceOutcomeKind.Superseded, (await first.Completion).Kind);
        Assert.Equal(InferenceOutcomeKind.Superseded, (await second.Completion).Kind);
        var last = await third.Completion;
        Assert.Equal(InferenceOutcomeKind.Completed, last.Kind);
        Assert.Equal(1, last.Result!.Mask[Cube.Geometry.Index(4, 4, 4)]);
        Assert.Equal(0, last.Result.Mask[Cube.Geometry.Index(0, 4, 4)]);
        Assert.Equal(InferenceOutcomeKind.Completed, (await other.Completion).Kind); // another session is untouched
        Assert.Equal(3, model.Calls); // r2 never ran
        queue.Complete();
        await workers.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task Position_follows_the_line_and_skips_answered_jobs()
    {
        var (queue, workers, model) = Start();
        model.Gate = new SemaphoreSlim(0);
        await workers.StartAsync(CancellationToken.None);
        var running = queue.Submit(new InferenceJob("s1/cube", "r1", "sphere", At(2), CancellationToken.None));
        while (model.Calls == 0) await Task.Delay(5);
        using var s2 = new CancellationTokenSource();
        queue.Submit(new InferenceJob("s2/cube", "r2", "sphere", At(3), s2.Token));
        var s3 = queue.Submit(new InferenceJob("s3/cube", "r3", "sphere", At(4), CancellationToken.None));
        var s1Other = queue.Submit(new InferenceJob("s1/other", "r4", "sphere", At(5), CancellationToken.None));

        Assert.Equal(0, queue.PositionOf(j => j.SupersedeKey.StartsWith("s1/", StringComparison.Ordinal))); // running wins
        Assert.Equal(1, queue.PositionOf(j => j.SupersedeKey.StartsWith("s2/", StringComparison.Ordinal)));
        Assert.Equal(2, queue.PositionOf(j => j.SupersedeKey.StartsWith("s3/", StringComparison.Ordinal)));
        Assert.Equal(3, queue.PositionOf(j => j.RequestId == "r4"));
        Assert.Null(queue.PositionOf(j => j.SupersedeKey.StartsWith("s9/", StringComparison.Ordinal)));

        s2.Cancel(); // answered while queued: out of the line at once
        Assert.Null(queue.PositionOf(j => j.SupersedeKey.StartsWith("s2/", StringComparison.Ordinal)));
        Assert.Equal(1, queue.PositionOf(j => j.SupersedeKey.StartsWith("s3/", StringComparison.Ordinal)));

        model.Gate.Release(10);
        await Task.WhenAll(running.Completion, s3.Completion, s1Other.Completion);
        Assert.Null(queue.PositionOf(_ => true));
        queue.Complete();
        await workers.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task Full_queue_answers_busy_without_blocking()
    {
        var (queue, _, _) = Start(capacity: 1);
        var a = queue.Submit(new InferenceJob("a", "1", "sphere", At(2), CancellationToken.None));
        var b = queue.Submit(new InferenceJob("b", "2", "sphere", At(2), CancellationToken.None));
        var outcome = await b.Completion;
        Assert.Equal(InferenceOutcomeKind.Busy, outcome.Kind);
        Assert.Contains("queue is full", outcome.Error);
        Assert.False(a.Completion.IsCompleted);
        Assert.Equal(1, queue.Pending);
    }

    [Fact]
    public async Task Model_errors_and_unknown_models_fail_the_job_only()
    {
        var (queue, workers, _) = Start();
        await workers.StartAsync(CancellationToken.None);
        var noPositive = queue.Submit(new InferenceJob("a", "1", "sphere",
            new SegmentationRequest { Volume = Cube, Points = [new PromptPoint(new Vec3(1, 1, 1), false)] }, CancellationToken.None));
        var unknown = queue.Submit(new InferenceJob("b", "2", "nope", At(2), CancellationToken.None));
        var fine = queue.Submit(new InferenceJob("c", "3", "sphere", At(2), CancellationToken.None));
        var o1 = await noPositive.Completion;
        Assert.Equal(InferenceOutcomeKind.Failed, o1.Kind);
        Assert.Contains("No positive point", o1.Error);
        var o2 = await unknown.Completion;
        Assert.Equal(InferenceOutcomeKind.Failed, o2.Kind);
        Assert.Contains("Unknown model 'nope'", o2.Error);
        Assert.Equal(InferenceOutcomeKind.Completed, (await fine.Completion).Kind);
        queue.Complete();
        await workers.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task Client_cancellation_cancels_its_job()
    {
        var (queue, workers, model) = Start();
        model.Gate = new SemaphoreSlim(0);
        await workers.StartAsync(CancellationToken.None);
        using var client = new CancellationTokenSource();
        var job = queue.Submit(new InferenceJob("a", "1", "sphere", At(2), client.Token));
        while (model.Calls == 0) await Task.Delay(5);
        client.Cancel();
        Assert.Equal(InferenceOutcomeKind.Cancelled, (await job.Completion).Kind);
        queue.Complete();
        await workers.StopAsync(CancellationToken.None);
    }
}
