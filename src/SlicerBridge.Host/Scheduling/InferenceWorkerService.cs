using System.Diagnostics;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SlicerBridge.Host.Configuration;
using SlicerBridge.Inference.Models;

namespace SlicerBridge.Host.Scheduling;

/// <summary>Serves the inference queue with a fixed number of workers, each running one segmentation at a time.</summary>
public sealed class InferenceWorkerService(InferenceQueue queue, ModelRegistry models, IOptions<BridgeOptions> options,
    ILogger<InferenceWorkerService> logger) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        int workers = options.Value.Scheduling.EffectiveParallelism;
        logger.LogInformation("Inference: {Workers} worker(s), queue capacity {Capacity}", workers, queue.Capacity);
        return Task.WhenAll(Enumerable.Range(0, workers).Select(i => Task.Run(() => WorkAsync(i, stoppingToken), CancellationToken.None)));
    }

    private async Task WorkAsync(int worker, CancellationToken stoppingToken)
    {
        try
        {
            await foreach (var job in queue.Reader.ReadAllAsync(stoppingToken))
            {
                queue.MarkDequeued(job);
                try { Run(job, stoppingToken); }
                finally { queue.MarkDone(job); }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested) { }
        // Jobs still queued at shutdown are answered as cancelled so no client waits forever.
        while (queue.Reader.TryRead(out var left))
        {
            queue.MarkDequeued(left);
            if (left.TryStart()) left.FinishCancelled(new JobTimings(Ms(left.EnqueuedAt), 0, 0, 0, Ms(left.EnqueuedAt)));
            queue.MarkDone(left);
        }
    }

    internal void Run(InferenceJob job, CancellationToken stoppingToken)
    {
        if (!job.TryStart()) return; // cancelled while queued, already answered
        double queueMs = Ms(job.EnqueuedAt);
        if (job.Token.IsCancellationRequested) { job.FinishCancelled(new JobTimings(queueMs, 0, 0, 0, queueMs)); return; }
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(job.Token, stoppingToken);
        try
        {
            using var lease = models.Acquire(job.ModelName);
            var result = lease.Model.Segment(job.Request, linked.Token);
            var t = result.Timings;
            var timings = new JobTimings(queueMs, t.PrepareMs, t.InferMs, t.PostMs, Ms(job.EnqueuedAt));
            if (job.Token.IsCancellationRequested) { job.FinishCancelled(timings); return; }
            job.Finish(new InferenceOutcome(InferenceOutcomeKind.Completed, result, timings, null));
            logger.LogDebug("Request {RequestId} done with {Model}: queue {QueueMs:0.0} ms, total {TotalMs:0.0} ms",
                job.RequestId, job.ModelName, queueMs, timings.TotalMs);
        }
        catch (OperationCanceledException)
        {
            job.FinishCancelled(new JobTimings(queueMs, 0, 0, 0, Ms(job.EnqueuedAt)));
        }
        catch (Exception ex) when (ex is SegmentationException or ModelUnavailableException)
        {
            job.Finish(new InferenceOutcome(InferenceOutcomeKind.Failed, null, new JobTimings(queueMs, 0, 0, 0, Ms(job.EnqueuedAt)), ex.Message));
        }
        catch (Exception ex)
        {
            logger.LogError(ex, "Request {RequestId} with model {Model} failed unexpectedly", job.RequestId, job.ModelName);
            job.Finish(new InferenceOutcome(InferenceOutcomeKind.Faulted, null, new JobTimings(queueMs, 0, 0, 0, Ms(job.EnqueuedAt)),
                $"Internal error in model '{job.ModelName}' ({ex.GetType().Name}: {ex.Message}); the server log has the details."));
        }
    }

    private static double Ms(long since) => Stopwatch.GetElapsedTime(since).TotalMilliseconds;
}
